#!/usr/bin/env python3
"""Writes the tiny hand-made data files the nn data tests read (tests/test_nn_data.c).

tiny-images-idx3-ubyte: 3 images of 2 rows x 3 cols; pixel k of image i is 10*(6*i+k).
tiny-labels-idx1-ubyte: labels 2, 0, 9.
tiny_batch.bin: 2 CIFAR-10 records; record 0 label 3, pixel j = j % 256;
                record 1 label 9, pixel j = 255 - j % 256.
Each also gzipped (.gz). Run from this folder; the outputs are committed."""
import gzip, struct

def write(name, data):
    open(name, "wb").write(data)
    with gzip.GzipFile(name + ".gz", "wb", mtime=0) as g:
        g.write(data)

imgs = struct.pack(">IIII", 2051, 3, 2, 3) + bytes(10 * (6 * i + k) for i in range(3) for k in range(6))
labs = struct.pack(">II", 2049, 3) + bytes([2, 0, 9])
rec0 = bytes([3]) + bytes(j % 256 for j in range(3072))
rec1 = bytes([9]) + bytes(255 - j % 256 for j in range(3072))
write("tiny-images-idx3-ubyte", imgs)
write("tiny-labels-idx1-ubyte", labs)
write("tiny_batch.bin", rec0 + rec1)
