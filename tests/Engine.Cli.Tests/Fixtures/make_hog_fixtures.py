"""Makes the HOG fixtures the tests compare `engine features hog` with: scikit-image's own output.

Run with Debian's python3-skimage (scikit-image 0.19.3): /usr/bin/python3 make_hog_fixtures.py
Inputs: 6 images, 4 of them the first MNIST test digits (from the bundled data) and 2 random ones
(one 30x27, odd sizes so cells leave pixels over), and one colour batch made grey with the luma weights.
"""
import gzip
import numpy as np
from skimage.feature import hog

rng = np.random.default_rng(12)
with gzip.open("../../../data/mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
    digits = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:4]
grey = (digits.astype(np.float32) / 255).reshape(4, 1, 28, 28)
np.save("hog_mnist_input.npy", grey)

cases = {
    "o9_c8_b2_l2hys": dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys"),
    "o9_c4_b2_l2hys": dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys"),
    "o8_c7_b1_l1": dict(orientations=8, pixels_per_cell=(7, 7), cells_per_block=(1, 1), block_norm="L1"),
    "o12_c5_b3_l1sqrt": dict(orientations=12, pixels_per_cell=(5, 5), cells_per_block=(3, 3), block_norm="L1-sqrt"),
    "o6_c6_b2_l2": dict(orientations=6, pixels_per_cell=(6, 6), cells_per_block=(2, 2), block_norm="L2"),
}
for name, args in cases.items():
    np.save(f"hog_mnist_{name}.npy", np.stack([hog(g[0], **args) for g in grey]).astype(np.float32))

odd = rng.random((2, 30, 27), dtype=np.float32)
np.save("hog_random_input.npy", odd)
np.save("hog_random_o9_c4_b2_l2hys.npy",
        np.stack([hog(g, orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys") for g in odd]).astype(np.float32))

rgb = rng.random((2, 3, 16, 16), dtype=np.float32)
np.save("hog_rgb_input.npy", rgb)
luma = (np.float32(0.299) * rgb[:, 0] + np.float32(0.587) * rgb[:, 1] + np.float32(0.114) * rgb[:, 2]).astype(np.float32)
np.save("hog_rgb_o9_c4_b2_l2hys.npy",
        np.stack([hog(g, orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys") for g in luma]).astype(np.float32))
