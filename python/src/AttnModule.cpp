//===- AttnModule.cpp - the attn._attn extension over the C API ------------===//
//
// A thin layer: Python objects in, C API calls, Python objects out. Buffers
// arrive as (address, dtype name, shape) triples so that any array type with
// a C-contiguous buffer (numpy, ml_dtypes.bfloat16 arrays, torch CPU
// tensors) can be passed; the Python side checks contiguity and keeps the
// arrays alive during the call.
//
//===----------------------------------------------------------------------===//
#include "attn-c/Attn.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace nb = nanobind;

namespace {

/// Takes ownership of a C API string.
std::string take(char *s) {
  std::string out = s ? s : "";
  attnFreeString(s);
  return out;
}

const char *dtypeName(AttnElementType t) {
  switch (t) {
  case ATTN_F32:
    return "float32";
  case ATTN_F16:
    return "float16";
  case ATTN_BF16:
    return "bfloat16";
  case ATTN_I32:
    return "int32";
  default:
    return "unsupported";
  }
}

AttnElementType parseDtype(const std::string &name) {
  if (name == "float32")
    return ATTN_F32;
  if (name == "float16")
    return ATTN_F16;
  if (name == "bfloat16")
    return ATTN_BF16;
  if (name == "int32")
    return ATTN_I32;
  return ATTN_UNSUPPORTED;
}

/// The error compile and call failures raise; Python maps it to CompileError
/// or a ValueError subclass.
struct CompileFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Kernel {
public:
  Kernel(const std::string &text, const std::string &pipeline) {
    char *error = nullptr;
    kernel = attnCompile(text.c_str(), pipeline.c_str(), &error);
    if (!kernel)
      throw CompileFailure(take(error));
  }
  ~Kernel() { attnKernelDestroy(kernel); }

  /// A kernel saved by save(), loaded without compiling.
  static Kernel *load(const std::string &path) {
    char *error = nullptr;
    AttnKernel *k = attnKernelLoad(path.c_str(), &error);
    if (!k)
      throw CompileFailure(take(error));
    return new Kernel(k);
  }

  /// Writes the compiled code as a shared library (plus `path`.sig).
  void save(const std::string &path) {
    char *error = nullptr;
    if (attnKernelSave(kernel, path.c_str(), &error))
      throw CompileFailure(take(error));
  }
  Kernel(const Kernel &) = delete;
  Kernel &operator=(const Kernel &) = delete;

  std::vector<std::string> functions() const {
    std::vector<std::string> names;
    for (intptr_t i = 0, e = attnKernelNumFunctions(kernel); i < e; ++i)
      names.emplace_back(attnKernelFunctionName(kernel, i));
    return names;
  }

  using TensorType = std::tuple<std::string, std::vector<int64_t>>;

  /// ([(dtype, shape)] of the inputs, [(dtype, shape)] of the results).
  std::tuple<std::vector<TensorType>, std::vector<TensorType>>
  signature(const std::string &func) const {
    intptr_t numInputs, numResults;
    if (attnKernelSignature(kernel, func.c_str(), &numInputs, &numResults))
      throw nb::key_error(("no function @" + func + " in the kernel").c_str());
    std::vector<TensorType> ins, outs;
    for (intptr_t i = 0; i < numInputs + numResults; ++i) {
      AttnElementType type;
      intptr_t rank;
      attnKernelArgType(kernel, func.c_str(), i, &type, &rank, nullptr);
      std::vector<int64_t> sizes(rank);
      attnKernelArgType(kernel, func.c_str(), i, &type, &rank, sizes.data());
      (i < numInputs ? ins : outs).emplace_back(dtypeName(type), sizes);
    }
    return {ins, outs};
  }

  /// Calls `func` on (address, dtype, shape) buffers: inputs then results.
  void call(const std::string &func,
            const std::vector<std::tuple<uintptr_t, std::string,
                                         std::vector<int64_t>>> &buffers) {
    std::vector<AttnBuffer> args;
    args.reserve(buffers.size());
    for (const auto &[address, dtype, shape] : buffers)
      args.push_back({reinterpret_cast<void *>(address), parseDtype(dtype),
                      static_cast<intptr_t>(shape.size()), shape.data()});
    char *error = nullptr;
    int rc;
    {
      // The compiled code touches no Python object.
      nb::gil_scoped_release release;
      rc = attnKernelCall(kernel, func.c_str(), args.data(),
                          static_cast<intptr_t>(args.size()), &error);
    }
    if (rc)
      throw CompileFailure(take(error));
  }

private:
  explicit Kernel(AttnKernel *k) : kernel(k) {}
  AttnKernel *kernel;
};

/// (resulting IR or None, diagnostics text).
std::tuple<nb::object, std::string> transform(const std::string &text,
                                              const std::string &pipeline) {
  char *diagnostics = nullptr;
  char *ir = attnTransform(text.c_str(), pipeline.c_str(), &diagnostics);
  std::string diag = take(diagnostics);
  if (!ir)
    return {nb::none(), diag};
  return {nb::str(take(ir).c_str()), diag};
}

/// (JSON array of {name, ptx, manifest} or None, diagnostics text).
std::tuple<nb::object, std::string> compileGPU(const std::string &text,
                                               const std::string &target) {
  char *diagnostics = nullptr;
  char *json = attnCompileGPU(text.c_str(), target.c_str(), &diagnostics);
  std::string diag = take(diagnostics);
  if (!json)
    return {nb::none(), diag};
  return {nb::str(take(json).c_str()), diag};
}

} // namespace

NB_MODULE(_attn, m) {
  m.doc() = "Native core of the attn package (over the attn C API)";
  static nb::exception<CompileFailure> failure(m, "NativeError",
                                               PyExc_RuntimeError);
  nb::class_<Kernel>(m, "Kernel")
      .def(nb::init<const std::string &, const std::string &>(),
           nb::arg("text"), nb::arg("pipeline"),
           "Parses, lowers with `pipeline` and JIT-compiles MLIR text.")
      .def_static("load", &Kernel::load, nb::arg("path"),
                  "Loads a kernel written by save().")
      .def("save", &Kernel::save, nb::arg("path"),
           "Writes the kernel as a shared library (and path.sig).")
      .def_prop_ro("functions", &Kernel::functions)
      .def("signature", &Kernel::signature, nb::arg("func"))
      .def("call", &Kernel::call, nb::arg("func"), nb::arg("buffers"));
  m.def("transform", &transform, nb::arg("text"), nb::arg("pipeline"),
        "Runs a pass pipeline on MLIR text: (IR or None, diagnostics).");
  m.def("compile_gpu", &compileGPU, nb::arg("text"), nb::arg("target"),
        "Compiles attn functions to GPU kernels: (JSON or None, "
        "diagnostics).");
  m.def("version", [] { return std::string(attnVersion()); });
}
