# -*- Python -*-
# Runs the GoogleTest unit tests as part of the lit suite, one lit test per
# GoogleTest case.
import os

import lit.formats

config.name = "attn-unit"
config.suffixes = []
config.test_source_root = os.path.join(config.attn_obj_root, "test", "Unit")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
