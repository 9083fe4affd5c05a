//===- attn-run.cpp - run an attn function on the CPU and check it ---------===//
//
// attn-run FILE.mlir --func=NAME [--input=a.npy ...] [--output-dir=DIR]
//                    [--check] [--tolerance=X] [--seed=N] [--repeat=N]
//
// Lowers the module with a pass pipeline (by default the exact reference
// pipeline), JIT-compiles it, feeds the function seeded random inputs (drawn
// per role: keys of the delta rule L2-normalized, beta in (0, 1), gates as
// log-decays) or .npy files, writes the results as .npy and, with --check,
// compares them with the independent float64 reference, printing the
// relative error of every result.
//
//===----------------------------------------------------------------------===//
#include "HostArray.h"
#include "JitInvoke.h"
#include "ReferenceCheck.h"

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Support/Npy.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

using namespace mlir;
using namespace ::attn::run;
namespace npy = ::attn::npy;
namespace ref = ::attn::reference;
namespace cl = llvm::cl;

static cl::OptionCategory runCat("attn-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                                      cl::init("-"), cl::cat(runCat));
static cl::opt<std::string>
    funcName("func", cl::desc("Function to run (default: the only one)"),
             cl::value_desc("name"), cl::cat(runCat));
static cl::list<std::string>
    inputs("input",
           cl::desc("A .npy file per function argument, in order (default: "
                    "seeded random inputs)"),
           cl::value_desc("file.npy"), cl::cat(runCat));
static cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write the inputs (argN.npy) and results "
                       "(resultN.npy; bf16 as float32) here"),
              cl::value_desc("dir"), cl::cat(runCat));
static cl::opt<bool>
    check("check",
          cl::desc("Compare every result with the float64 reference and fail "
                   "if a relative error exceeds the tolerance"),
          cl::cat(runCat));
static cl::opt<double> tolerance(
    "tolerance",
    cl::desc("Relative-error bound for --check (default: 1e-5 for f32 "
             "results, 2e-3 for f16, 1e-2 for bf16)"),
    cl::init(-1.0), cl::cat(runCat));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                              cl::init(0), cl::cat(runCat));
static cl::opt<std::string> gateStrength(
    "gate",
    cl::desc("Random log-decay gates: 'weak' (g in [-0.1, 0]) or 'strong' "
             "(g in [-6, -0.5])"),
    cl::init("weak"), cl::cat(runCat));
static cl::opt<unsigned>
    repeat("repeat",
           cl::desc("Run the function N times and print the median time"),
           cl::init(1), cl::cat(runCat));
static cl::opt<std::string> pipeline(
    "pipeline",
    cl::desc("Pass pipeline lowering the module to the LLVM dialect; it must "
             "turn results into out-parameters"),
    cl::init("attn-reference-to-llvm{results-to-out-params=true}"),
    cl::cat(runCat));

namespace {

int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-run: error: " << message << "\n";
  return 1;
}

std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// A static-shaped float tensor type, or an error naming `what`.
bool describe(Type type, const std::string &what, ElemKind &kind,
              std::vector<int64_t> &shape, std::string &error) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape()) {
    error = what + " has type " + typeStr(type) +
            "; attn-run needs ranked tensors of static shape";
    return false;
  }
  std::string why;
  if (!elemKindOf(t.getElementType(), kind, why)) {
    error = what + ": " + why;
    return false;
  }
  shape.assign(t.getShape().begin(), t.getShape().end());
  return true;
}

/// Draws argument values for `role`.
void fillRandom(HostArray &a, Role role, OpKind kind, std::mt19937_64 &rng) {
  std::uniform_real_distribution<double> sym(-1.0, 1.0), unit(0.0, 1.0);
  bool strong = gateStrength == "strong";
  std::uniform_real_distribution<double> gate(strong ? -6.0 : -0.1,
                                              strong ? -0.5 : 0.0);
  int64_t n = a.numElements();
  std::vector<double> x(n);
  for (double &e : x)
    e = role == Role::Beta ? unit(rng) : role == Role::Gate ? gate(rng)
                                                             : sym(rng);
  // The delta rule is a contraction only for ||k|| <= 1 (with beta <= 1).
  if (role == Role::K && kind == OpKind::Delta) {
    int64_t d = a.shape.back();
    for (int64_t i = 0; i < n; i += d) {
      double norm = 0;
      for (int64_t j = 0; j < d; ++j)
        norm += x[i + j] * x[i + j];
      norm = std::sqrt(norm) + 1e-6;
      for (int64_t j = 0; j < d; ++j)
        x[i + j] /= norm;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    a.set(i, x[i]);
}

bool writeArray(const HostArray &a, const std::string &path,
                std::string &error) {
  npy::DType dt = a.kind == ElemKind::F16 ? npy::DType::F16
                                                : npy::DType::F32;
  return npy::writeNpy(path, npy::fromDoubles(dt, a.shape,
                                                          a.toDoubles()),
                             error);
}

double defaultTolerance(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return 1e-5;
  case ElemKind::F16:
    return 2e-3;
  case ElemKind::BF16:
    return 1e-2;
  }
  return 1e-5;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllPasses();
  mlir::attn::registerAttnPasses();
  mlir::attn::registerAttnPipelines();
  cl::HideUnrelatedOptions(runCat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-run: JIT-compile an attn function, run it on random or .npy "
      "inputs, and compare it with the float64 reference\n");
  if (gateStrength != "weak" && gateStrength != "strong")
    return fail("--gate must be 'weak' or 'strong', got '" + gateStrength +
                "'");
  if (repeat == 0)
    return fail("--repeat must be at least 1");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  mlir::attn::registerAttnDialect(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file)
    return fail(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // The parser reported a located error.

  // Pick the function.
  func::FuncOp func;
  std::string names;
  unsigned count = 0;
  for (auto f : module->getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    names += (count++ ? ", @" : "@") + f.getSymName().str();
    if (funcName.empty() || f.getSymName() == funcName)
      func = f;
  }
  if (funcName.empty() && count != 1)
    return fail(count ? "the module has several functions (" + names +
                            "); choose one with --func"
                      : std::string("the module has no function with a body"));
  if (!func)
    return fail("no function @" + funcName + " in " + inputFile +
                (count ? " (functions: " + names + ")" : ""));
  std::string fname = func.getSymName().str();
  // Only @fname is compiled: drop the other functions unless it calls them.
  bool hasCalls = false;
  func.walk([&](func::CallOp) { hasCalls = true; });
  if (!hasCalls)
    for (auto other : llvm::make_early_inc_range(module->getOps<func::FuncOp>()))
      if (other != func)
        other.erase();

  // Signature: static float tensors in and out.
  FunctionType fty = func.getFunctionType();
  std::vector<HostArray> args, results;
  std::string error;
  for (auto [i, t] : llvm::enumerate(fty.getInputs())) {
    ElemKind kind;
    std::vector<int64_t> shape;
    if (!describe(t, "argument #" + std::to_string(i) + " of @" + fname, kind,
                  shape, error))
      return fail(error);
    args.emplace_back(kind, shape);
  }
  for (auto [i, t] : llvm::enumerate(fty.getResults())) {
    ElemKind kind;
    std::vector<int64_t> shape;
    if (!describe(t, "result #" + std::to_string(i) + " of @" + fname, kind,
                  shape, error))
      return fail(error);
    results.emplace_back(kind, shape);
  }
  if (results.empty())
    return fail("@" + fname + " returns nothing");

  std::string why;
  std::optional<OpBinding> binding = bindSingleAttentionOp(func, why);
  if (check && !binding)
    return fail("--check needs @" + fname +
                " to be one attn op on its arguments: " + why);

  // Inputs.
  if (!inputs.empty()) {
    if (inputs.size() != args.size())
      return fail("@" + fname + " takes " + std::to_string(args.size()) +
                  " arguments but " + std::to_string(inputs.size()) +
                  " --input files were given");
    for (size_t i = 0; i < args.size(); ++i) {
      npy::NpyArray a;
      if (!npy::readNpy(inputs[i], a, error))
        return fail(error);
      if (a.shape != args[i].shape)
        return fail("input #" + std::to_string(i) + " (" + inputs[i] +
                    ") has shape " + shapeStr(a.shape) + " but argument #" +
                    std::to_string(i) + " of @" + fname + " is " +
                    typeStr(fty.getInput(i)));
      if (a.dtype == npy::DType::I32)
        return fail("input #" + std::to_string(i) + " (" + inputs[i] +
                    ") is int32; a float array is expected");
      std::vector<double> values = a.toDoubles();
      for (int64_t j = 0, e = args[i].numElements(); j < e; ++j)
        args[i].set(j, values[j]);
    }
  } else {
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < args.size(); ++i)
      fillRandom(args[i], binding ? binding->argRoles[i] : Role::Other,
                 binding ? binding->kind : OpKind::Softmax, rng);
  }

  // Lower and compile.
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  PassManager pm(&context);
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    return fail("cannot parse --pipeline '" + pipeline + "'");
  if (failed(pm.run(*module)))
    return fail("lowering with '" + pipeline + "' failed");
  // The call below passes results as trailing out-parameters.
  auto lowered = module->lookupSymbol<LLVM::LLVMFuncOp>(fname);
  if (!lowered)
    return fail("the pipeline did not lower @" + fname + " to llvm.func");
  if (!isa<LLVM::LLVMVoidType>(lowered.getFunctionType().getReturnType()))
    return fail("the pipeline left @" + fname +
                " returning values; it must turn results into out-parameters");
  auto jit = JitModule::create(*module);
  if (!jit)
    return fail("JIT compilation failed: " + llvm::toString(jit.takeError()));

  std::vector<HostArray *> callArgs;
  for (HostArray &a : args)
    callArgs.push_back(&a);
  for (HostArray &r : results)
    callArgs.push_back(&r);
  std::vector<double> ms;
  for (unsigned i = 0; i < repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error e = (*jit)->call(fname, callArgs))
      return fail("running @" + fname + ": " + llvm::toString(std::move(e)));
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  if (repeat > 1) {
    std::sort(ms.begin(), ms.end());
    llvm::outs() << llvm::format("@%s: median %.3f ms over %u runs\n",
                                 fname.c_str(), ms[ms.size() / 2],
                                 (unsigned)repeat);
  }

  // Outputs.
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create " + outputDir + ": " + ec.message());
    auto path = [&](const std::string &name) {
      llvm::SmallString<256> p(outputDir);
      llvm::sys::path::append(p, name + ".npy");
      return std::string(p);
    };
    for (size_t i = 0; i < args.size(); ++i)
      if (!writeArray(args[i], path("arg" + std::to_string(i)), error))
        return fail(error);
    for (size_t i = 0; i < results.size(); ++i)
      if (!writeArray(results[i], path("result" + std::to_string(i)), error))
        return fail(error);
  }

  std::vector<ref::Array> expected;
  if (check) {
    try {
      expected = computeReference(*binding, args);
    } catch (const std::exception &e) {
      return fail(std::string("reference: ") + e.what());
    }
  }
  bool allOk = true;
  for (size_t i = 0; i < results.size(); ++i) {
    std::string name = binding ? binding->resultNames[i]
                               : "result" + std::to_string(i);
    llvm::outs() << "@" << fname << " result #" << i << " '" << name << "' "
                 << typeStr(fty.getResult(i));
    if (!check) {
      double sq = 0;
      for (double x : results[i].toDoubles())
        sq += x * x;
      llvm::outs() << llvm::format(": l2 norm %.6e\n", std::sqrt(sq));
      continue;
    }
    ref::Array got(results[i].shape, results[i].toDoubles());
    double err = ref::relativeError(got, expected[i]);
    double tol = tolerance > 0 ? tolerance.getValue()
                               : defaultTolerance(results[i].kind);
    bool ok = err <= tol;
    allOk &= ok;
    llvm::outs() << llvm::format(": rel_err %.3e (tolerance %.1e) ", err, tol)
                 << (ok ? "ok" : "FAIL") << "\n";
  }
  return allOk ? 0 : 1;
}
