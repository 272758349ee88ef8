#!/usr/bin/python3
# make_npy.py — writes the small .npy files that tests/bad/*.qg refer to.
# Run once with Debian's /usr/bin/python3 (numpy); the outputs are committed.
import struct

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


def raw(name, header, data=b'', version=(1, 0), length=None):
    """A hand-made .npy: magic, version, header length (or a lie), header."""
    h = header.encode() if isinstance(header, str) else header
    n = len(h) if length is None else length
    ln = struct.pack('<H', n) if version[0] == 1 else struct.pack('<I', n)
    with open(name, 'wb') as f:
        f.write(b'\x93NUMPY' + bytes(version) + ln + h + data)


F23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
body = np.arange(6, dtype=np.float32).tobytes()
raw('version4.npy', F23 + '\n', body, version=(4, 0))
raw('version1_1.npy', F23 + '\n', body, version=(1, 1))
raw('v2.npy', F23 + '\n', body, version=(2, 0))            # fine: version 2.0
raw('bad_dict.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}\n", body)
raw('no_shape.npy', "{'descr': '<f4', 'fortran_order': False}\n", body)
raw('extra_key.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}\n", body)
raw('structured.npy', "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }\n", body)
raw('neg_shape.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }\n", body)
raw('huge_shape.npy', "{'descr': '<f4', 'fortran_order': False, "
    "'shape': (1099511627776, 1099511627776), }\n", body)
raw('shape_2_40.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }\n", body)
raw('len_lies.npy', F23 + '\n', body, length=60000)        # announces more than there is
raw('len_short.npy', F23 + '\n', body, length=20)          # the header is cut
raw('not_dict.npy', "[1, 2, 3]\n", body)
raw('nul_header.npy', "{'descr': '<f4',\x00 'fortran_order': False, 'shape': (2, 3), }\n", body)
raw('no_len.npy', b'', version=(1, 0), length=0)
with open('no_len.npy', 'wb') as f:                          # magic and version only
    f.write(b'\x93NUMPY\x01\x00')
open('empty.npy', 'wb').close()
raw('trailing.npy', F23 + " garbage\n", body)
raw('unicode.npy', "{'descr': '<U3', 'fortran_order': False, 'shape': (2, 3), }\n", body)
raw('object.npy', "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }\n", body)
raw('data_trailing.npy', F23 + '\n', body + b'\0\0\0\0')  # 4 bytes after the array
raw('nul_padding.npy', F23 + '\0\0\n', body)               # NULs in the padding
raw('no_newline.npy', F23 + '   ', body)                    # the header ends in a space
raw('fortran_bad.npy', "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }\n", body)
# calibration data for ok.qg (input f32[1,4]): right, wrong shape, wrong dtype,
# a NaN, an infinity, no samples
np.save('calib_ok.npy', np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
np.save('calib_shape.npy', np.zeros((3, 5), np.float32))
np.save('calib_i32.npy', np.zeros((3, 4), np.int32))
nan = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
nan[1, 2] = np.nan
np.save('calib_nan.npy', nan)
inf = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
inf[2, 0] = -np.inf
np.save('calib_inf.npy', inf)
np.save('calib_empty.npy', np.zeros((0, 4), np.float32))
np.save('calib_scalar.npy', np.float32(1))
# a 5x5 kernel for a 3x3 input
np.save('w1155.npy', np.ones((1, 1, 5, 5), np.float32))
