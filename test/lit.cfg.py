# -*- Python -*-
# lit configuration of the attn regression tests.
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "attn"
# The internal shell: portable, and the only one newer lit releases accept.
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py"]

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
config.substitutions.append(("%attn_src_root", config.attn_src_root))
tools = ["attn-opt", "attn-run", "attn-compile", "attn-gpu-compile",
         "mlir-opt", "clang"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# The GPU tests assemble the PTX they produce when the CUDA toolkit's ptxas
# is there (no GPU is needed for that).
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# Embedding: the mlir-opt plugin (test/Plugin) and the installed package with
# an outside project built against it (test/consumer, needs cmake).
config.substitutions.append(("%attn_plugin", config.attn_plugin))
config.substitutions.append(("%attn_obj_root", config.attn_obj_root))
if shutil.which("cmake"):
    config.available_features.add("cmake")

# The Python package's pytest suite runs as one lit test.
if config.attn_enable_python:
    config.available_features.add("python")
    config.substitutions.append(("%attn_python_packages",
                                 config.attn_python_packages))
    config.substitutions.append(("%attn_python_exe",
                                 config.attn_python_executable))

# Sanitizer builds (-DATTN_ENABLE_SANITIZERS=ON): LeakSanitizer ignores the
# leaks of libMLIR/libLLVM's global state (test/asan/lsan.supp); see
# docs/reliability.md. Options already set in the environment win.
if getattr(config, "attn_sanitizers", False):
    config.available_features.add("sanitizers")
    config.environment.setdefault(
        "LSAN_OPTIONS", "suppressions=%s:print_suppressions=0"
        % config.attn_lsan_suppressions)
    config.environment.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
