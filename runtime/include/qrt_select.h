/* qrt_select.h — for a C program built once per model, the model chosen by
 * a macro on the command line (cc -DMODEL=cnn -DMODEL_UC=CNN ...): includes
 * the generated MODEL.h and names its symbols without spelling the prefix.
 *
 *   MODEL     the symbol prefix (quantc --name), required
 *   MODEL_UC  the same in upper case, optional: gives the size macros
 *
 * Defines RUN, RUN_Q, INFO (MODEL_run, MODEL_run_q, MODEL_model) and, with
 * MODEL_UC, ARENA_SIZE, ARENA_ALIGN, IN_SIZE, OUT_SIZE (MODEL_UC_ARENA_SIZE,
 * ..., the first input's and output's element counts).  QRT_STR and QRT_CAT
 * stringize and paste after expanding their arguments. */
#ifndef QRT_SELECT_H
#define QRT_SELECT_H

#ifndef MODEL
#error "define MODEL, the model's C prefix (quantc compile --name)"
#endif

#define QRT_STR2(x) #x
#define QRT_STR(x) QRT_STR2(x)
#define QRT_CAT2(a, b) a##b
#define QRT_CAT(a, b) QRT_CAT2(a, b)

#include QRT_STR(MODEL.h)

#define RUN QRT_CAT(MODEL, _run)
#define RUN_Q QRT_CAT(MODEL, _run_q)
#define INFO QRT_CAT(MODEL, _model)

#ifdef MODEL_UC
#define ARENA_SIZE QRT_CAT(MODEL_UC, _ARENA_SIZE)
#define ARENA_ALIGN QRT_CAT(MODEL_UC, _ARENA_ALIGN)
#define IN_SIZE QRT_CAT(MODEL_UC, _INPUT0_SIZE)
#define OUT_SIZE QRT_CAT(MODEL_UC, _OUTPUT0_SIZE)
#endif

#endif
