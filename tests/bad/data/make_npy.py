#!/usr/bin/python3
# make_npy.py — writes the small .npy files that tests/bad/*.qg refer to.
# Run once with Debian's /usr/bin/python3 (numpy); the outputs are committed.
import numpy as np

np.save('w23.npy', np.arange(6, dtype=np.float32).reshape(2, 3))
np.save('be.npy', np.arange(6, dtype='>f4').reshape(2, 3))
np.save('f64.npy', np.arange(6, dtype=np.float64).reshape(2, 3))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
with open('w23.npy', 'rb') as f:
    whole = f.read()
with open('trunc.npy', 'wb') as f:   # header says [2,3] f32 (24 bytes), 20 follow
    f.write(whole[:-4])
with open('notnpy.npy', 'wb') as f:
    f.write(b'PK\x03\x04 this is not a .npy file\n')
