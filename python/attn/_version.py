"""attn's version, readable without the compiler extension (the GPU cache
keys use it on machines that only run precompiled kernels). CMake's
PROJECT_VERSION; test_api checks that the two agree."""
VERSION = "0.1.0"
