//===- attn-run.cpp - run an attn function on the CPU and check it ---------===//
//
// attn-run FILE.mlir [--func=NAME | --all] [--input=a.npy ...]
//          [--output-dir=DIR] [--check] [--tolerance=X] [--seed=N]
//          [--form=F] [--chunk-size=C] [--target=T] [--explain] [--repeat=N]
//
// Lowers the module (by default with attn-to-cpu: the cost model's form and
// chunk selection, heads in parallel), JIT-compiles it, feeds each function seeded
// random inputs (drawn per role: keys of the delta rule L2-normalized, beta
// in (0, 1), gates as log-decays, FAVOR+ projections Gaussian, cu_seqlens
// random valid packed-sequence offsets with a length-1 sequence) or .npy
// files (int32 for cu_seqlens), writes the results as .npy
// and, with --check, compares them with the independent float64 reference,
// printing the relative error of every result.
//
//===----------------------------------------------------------------------===//
#include "HostArray.h"
#include "ReferenceCheck.h"

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Runtime/JitModule.h"
#include "attn/Support/Npy.h"
#include "attn/TargetInfo/TargetDescription.h"
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"
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
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <numeric>
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
    cl::desc("Relative-error bound for --check (default: 1e-4 for f32 "
             "results, 2e-3 for f16, 1e-2 for bf16)"),
    cl::init(-1.0), cl::cat(runCat));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                              cl::init(0), cl::cat(runCat));
static cl::opt<std::string> gateStrength(
    "gate",
    cl::desc("Random log-decay gates: 'weak' (g in [-0.1, 0]) or 'strong' "
             "(g in [-6, -0.5]); or a number, the log-decay of every gate "
             "(e.g. -1e4 or -inf for extreme decays)"),
    cl::init("weak"), cl::cat(runCat));
static cl::opt<std::string> betaOpt(
    "beta",
    cl::desc("The delta rule's beta: 'random' (in (0, 1); default) or a "
             "number, the beta of every step (e.g. 0 or 1)"),
    cl::init("random"), cl::cat(runCat));
static cl::opt<unsigned>
    repeat("repeat",
           cl::desc("Run the function N times and print the median time"),
           cl::init(1), cl::cat(runCat));
static cl::opt<bool>
    allFuncs("all", cl::desc("Run every function of the module (one JIT)"),
             cl::cat(runCat));
static cl::opt<std::string> formOpt(
    "form",
    cl::desc("auto (the cost model; default), recurrent, quadratic, "
             "chunkwise, reassociated, or reference (the exact reference "
             "lowering, no form selection)"),
    cl::init("auto"), cl::cat(runCat));
static cl::opt<int64_t>
    chunkSizeOpt("chunk-size",
                 cl::desc("Chunk size of chunkwise forms (0: cost model)"),
                 cl::init(0), cl::cat(runCat));
static cl::opt<std::string>
    targetOpt("target",
              cl::desc("Target description of the cost model (x86-avx512, "
                       "x86-avx2, sm_80, sm_90)"),
              cl::init("x86-avx512"), cl::cat(runCat));
static cl::opt<bool> explainOpt(
    "explain", cl::desc("Print the cost model's candidates and choices"),
    cl::cat(runCat));
static cl::opt<std::string> pipeline(
    "pipeline",
    cl::desc("Pass pipeline lowering the module to the LLVM dialect, instead "
             "of the one --form/--chunk-size/--target describe; it must turn "
             "results into out-parameters"),
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
  // Every argument and result lives in host memory: refuse sizes that no
  // machine has (and whose element count would overflow) before allocating.
  constexpr uint64_t kMaxBytes = uint64_t(1) << 40;
  uint64_t bytes = kind == ElemKind::F32 || kind == ElemKind::I32 ? 4 : 2;
  for (int64_t d : t.getShape())
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes) ||
        bytes > kMaxBytes) {
      error = what + " has type " + typeStr(type) +
              ", more than the 1 TiB attn-run can allocate on the host";
      return false;
    }
  shape.assign(t.getShape().begin(), t.getShape().end());
  return true;
}

/// A whole-string number ("-1e4", "-inf", "0"), or nullopt.
std::optional<double> parseNumber(const std::string &text) {
  if (text.empty())
    return std::nullopt;
  char *end = nullptr;
  double x = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size())
    return std::nullopt;
  return x;
}

/// The constant given by --gate=NUMBER / --beta=NUMBER, if any.
std::optional<double> constantGate() {
  if (gateStrength == "weak" || gateStrength == "strong")
    return std::nullopt;
  return parseNumber(gateStrength);
}
std::optional<double> constantBeta() {
  if (betaOpt == "random")
    return std::nullopt;
  return parseNumber(betaOpt);
}

/// Random valid packed-sequence offsets: N sequences over T positions,
/// starting at 0, ending at T, non-decreasing, every sequence non-empty
/// when T >= N, and one of them of length 1 (when N > 1 and T >= N): the
/// case where a sequence is a single decode-like step.
std::vector<int64_t> randomCuSeqlens(int64_t n, int64_t t,
                                     std::mt19937_64 &rng) {
  std::vector<int64_t> lengths;
  if (n == 1) {
    lengths = {t};
  } else if (t < n) {
    // Some sequences must be empty: T single positions spread over N.
    lengths.assign(n, 0);
    std::uniform_int_distribution<int64_t> which(0, n - 1);
    for (int64_t i = 0; i < t; ++i)
      ++lengths[which(rng)];
  } else {
    // N - 1 lengths >= 1 summing to T - 1 (distinct cut points in
    // 1 .. T - 2), then a length-1 sequence at a random place.
    int64_t rest = t - 1;
    std::vector<int64_t> points(rest - 1);
    std::iota(points.begin(), points.end(), 1);
    std::shuffle(points.begin(), points.end(), rng);
    std::vector<int64_t> cuts(points.begin(), points.begin() + (n - 2));
    std::sort(cuts.begin(), cuts.end());
    int64_t prev = 0;
    for (int64_t c : cuts) {
      lengths.push_back(c - prev);
      prev = c;
    }
    lengths.push_back(rest - prev);
    std::uniform_int_distribution<int64_t> where(0, n - 1);
    lengths.insert(lengths.begin() + where(rng), 1);
  }
  std::vector<int64_t> cu{0};
  for (int64_t len : lengths)
    cu.push_back(cu.back() + len);
  return cu;
}

/// Draws argument values for `role` (not cu_seqlens: see prepare()).
void fillRandom(HostArray &a, Role role, OpKind kind, std::mt19937_64 &rng) {
  std::uniform_real_distribution<double> sym(-1.0, 1.0), unit(0.0, 1.0);
  // FAVOR+ projections are Gaussian random features (Performer).
  std::normal_distribution<double> normal(0.0, 1.0);
  bool strong = gateStrength == "strong";
  std::uniform_real_distribution<double> gate(strong ? -6.0 : -0.1,
                                              strong ? -0.5 : 0.0);
  std::optional<double> gateValue = constantGate(), betaValue = constantBeta();
  int64_t n = a.numElements();
  std::vector<double> x(n);
  for (double &e : x) {
    // Draw even for a constant, so that the other inputs stay the same.
    double r = role == Role::Beta         ? unit(rng)
               : role == Role::Gate       ? gate(rng)
               : role == Role::Projection ? normal(rng)
                                          : sym(rng);
    e = role == Role::Beta && betaValue   ? *betaValue
        : role == Role::Gate && gateValue ? *gateValue
                                          : r;
  }
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
  npy::DType dt = a.kind == ElemKind::F16   ? npy::DType::F16
                  : a.kind == ElemKind::I32 ? npy::DType::I32
                                            : npy::DType::F32;
  return npy::writeNpy(path, npy::fromDoubles(dt, a.shape,
                                                          a.toDoubles()),
                             error);
}

double defaultTolerance(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return 1e-4;
  case ElemKind::F16:
    return 2e-3;
  case ElemKind::BF16:
    return 1e-2;
  case ElemKind::I32:
    break;
  }
  return 1e-5;
}


/// One function to run: its signature, its attn op (if it is one) and its
/// buffers.
struct FunctionRun {
  func::FuncOp func;
  std::string name;
  std::vector<std::string> argTypes, resultTypes;
  std::optional<OpBinding> binding;
  std::vector<HostArray> args, results;
};

constexpr int kCheckFailed = 2;

std::string defaultPipeline() {
  if (formOpt == "reference")
    return "attn-reference-to-llvm{results-to-out-params=true}";
  std::string s = "attn-to-cpu{results-to-out-params=true target=" +
                  targetOpt + " form=" + formOpt +
                  " chunk-size=" + std::to_string(chunkSizeOpt);
  if (explainOpt)
    s += " explain=true";
  return s + "}";
}

Role roleOf(const FunctionRun &run, size_t i) {
  return run.binding ? run.binding->argRoles[i] : Role::Other;
}

/// T, the packed axis: dimension 1 of q.
int64_t sequenceLength(const FunctionRun &run) {
  for (size_t i = 0; i < run.args.size(); ++i)
    if (roleOf(run, i) == Role::Q)
      return run.args[i].shape[1];
  return 0;
}

/// Given offsets must describe sequences covering T in order: the compiled
/// code clamps bad ones (it never reads out of bounds), but its answer
/// would not be the packed op the user means.
bool checkCuSeqlensInput(const FunctionRun &run, std::string &error) {
  for (size_t i = 0; i < run.args.size(); ++i) {
    if (roleOf(run, i) != Role::CuSeqlens)
      continue;
    std::vector<double> values = run.args[i].toDoubles();
    std::vector<int64_t> cu(values.begin(), values.end());
    try {
      ref::checkCuSeqlens(cu, sequenceLength(run));
    } catch (const std::invalid_argument &e) {
      error = "input #" + std::to_string(i) + " (" + inputs[i] +
              ") is not valid 'cu_seqlens' of @" + run.name + ": " + e.what();
      return false;
    }
  }
  return true;
}

/// Checks the signature, binds the attn op, and fills the inputs. Runs
/// before lowering, which rewrites the function.
bool prepare(func::FuncOp func, FunctionRun &run, std::string &error) {
  run.func = func;
  run.name = func.getSymName().str();
  FunctionType fty = func.getFunctionType();
  for (auto [i, t] : llvm::enumerate(fty.getInputs())) {
    ElemKind kind;
    std::vector<int64_t> shape;
    if (!describe(t, "argument #" + std::to_string(i) + " of @" + run.name,
                  kind, shape, error))
      return false;
    try {
      run.args.emplace_back(kind, shape);
    } catch (const std::bad_alloc &) {
      error = "out of memory allocating argument #" + std::to_string(i) +
              " of @" + run.name + " (" + typeStr(t) + ")";
      return false;
    }
    run.argTypes.push_back(typeStr(t));
  }
  for (auto [i, t] : llvm::enumerate(fty.getResults())) {
    ElemKind kind;
    std::vector<int64_t> shape;
    if (!describe(t, "result #" + std::to_string(i) + " of @" + run.name, kind,
                  shape, error))
      return false;
    try {
      run.results.emplace_back(kind, shape);
    } catch (const std::bad_alloc &) {
      error = "out of memory allocating result #" + std::to_string(i) +
              " of @" + run.name + " (" + typeStr(t) + ")";
      return false;
    }
    run.resultTypes.push_back(typeStr(t));
  }
  if (run.results.empty()) {
    error = "@" + run.name + " returns nothing";
    return false;
  }
  std::string why;
  run.binding = bindSingleAttentionOp(func, why);
  if (check && !run.binding) {
    error = "--check needs @" + run.name +
            " to be one attn op on its arguments: " + why;
    return false;
  }
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(func.getContext()));

  if (!inputs.empty()) {
    if (inputs.size() != run.args.size()) {
      error = "@" + run.name + " takes " + std::to_string(run.args.size()) +
              " arguments but " + std::to_string(inputs.size()) +
              " --input files were given";
      return false;
    }
    for (size_t i = 0; i < run.args.size(); ++i) {
      npy::NpyArray a;
      if (!npy::readNpy(inputs[i], a, error))
        return false;
      if (a.shape != run.args[i].shape) {
        error = "input #" + std::to_string(i) + " (" + inputs[i] +
                ") has shape " + shapeStr(a.shape) + " but argument #" +
                std::to_string(i) + " of @" + run.name + " is " +
                run.argTypes[i];
        return false;
      }
      bool wantInt = run.args[i].kind == ElemKind::I32;
      if ((a.dtype == npy::DType::I32) != wantInt) {
        error = "input #" + std::to_string(i) + " (" + inputs[i] + ") is " +
                npy::dtypeName(a.dtype) + " but argument #" +
                std::to_string(i) + " of @" + run.name + " is " +
                run.argTypes[i] +
                (wantInt ? "; an int32 array is expected"
                         : "; a float array is expected");
        return false;
      }
      std::vector<double> values = a.toDoubles();
      for (int64_t j = 0, e = run.args[i].numElements(); j < e; ++j)
        run.args[i].set(j, values[j]);
    }
    return checkCuSeqlensInput(run, error);
  }
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < run.args.size(); ++i)
    fillRandom(run.args[i], roleOf(run, i),
               run.binding ? run.binding->kind : OpKind::Softmax, rng);
  // cu_seqlens after the rest, so that the other inputs stay those of the
  // same seed without packed sequences.
  for (size_t i = 0; i < run.args.size(); ++i)
    if (roleOf(run, i) == Role::CuSeqlens) {
      int64_t n = run.args[i].shape[0] - 1;
      std::vector<int64_t> cu = randomCuSeqlens(n, sequenceLength(run), rng);
      for (int64_t j = 0; j <= n; ++j)
        run.args[i].set(j, static_cast<double>(cu[j]));
    }
  return true;
}

/// Calls the compiled function, writes and checks its results. Returns 0,
/// kCheckFailed, or 1 on an error (already reported).
int execute(mlir::attn::JitModule &jit, FunctionRun &run) {
  std::vector<mlir::attn::DenseBuffer> callArgs;
  for (HostArray &a : run.args)
    callArgs.push_back({a.data(), a.shape});
  for (HostArray &r : run.results)
    callArgs.push_back({r.data(), r.shape});
  std::vector<double> ms;
  for (unsigned i = 0; i < repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error e = jit.call(run.name, callArgs))
      return fail("running @" + run.name + ": " + llvm::toString(std::move(e)));
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  if (repeat > 1) {
    std::sort(ms.begin(), ms.end());
    llvm::outs() << llvm::format("@%s: median %.3f ms over %u runs\n",
                                 run.name.c_str(), ms[ms.size() / 2],
                                 (unsigned)repeat);
  }

  std::string error;
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create " + outputDir + ": " + ec.message());
    std::string prefix = allFuncs ? run.name + "." : "";
    auto path = [&](const std::string &name) {
      llvm::SmallString<256> p(outputDir);
      llvm::sys::path::append(p, prefix + name + ".npy");
      return std::string(p);
    };
    for (size_t i = 0; i < run.args.size(); ++i)
      if (!writeArray(run.args[i], path("arg" + std::to_string(i)), error))
        return fail(error);
    for (size_t i = 0; i < run.results.size(); ++i)
      if (!writeArray(run.results[i], path("result" + std::to_string(i)),
                      error))
        return fail(error);
  }

  std::vector<ref::Array> expected;
  if (check) {
    try {
      expected = computeReference(*run.binding, run.args);
    } catch (const std::exception &e) {
      return fail(std::string("reference: ") + e.what());
    }
  }
  bool allOk = true;
  for (size_t i = 0; i < run.results.size(); ++i) {
    std::string name = run.binding ? run.binding->resultNames[i]
                                   : "result" + std::to_string(i);
    llvm::outs() << "@" << run.name << " result #" << i << " '" << name
                 << "' " << run.resultTypes[i];
    if (!check) {
      double sq = 0;
      for (double x : run.results[i].toDoubles())
        sq += x * x;
      llvm::outs() << llvm::format(": l2 norm %.6e\n", std::sqrt(sq));
      continue;
    }
    ref::Array got(run.results[i].shape, run.results[i].toDoubles());
    double err = ref::relativeError(got, expected[i]);
    double tol = tolerance > 0 ? tolerance.getValue()
                               : defaultTolerance(run.results[i].kind);
    bool ok = err <= tol;
    allOk &= ok;
    llvm::outs() << llvm::format(": rel_err %.3e (tolerance %.1e) ", err, tol)
                 << (ok ? "ok" : "FAIL") << "\n";
  }
  return allOk ? 0 : kCheckFailed;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllPasses();
  mlir::attn::registerAttnPasses();
  mlir::attn::registerAttnPipelines();
  mlir::attn::registerAttnToCPUPasses();
  mlir::attn::registerAttnCPUPipelines();
  cl::HideUnrelatedOptions(runCat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-run: JIT-compile an attn function, run it on random or .npy "
      "inputs, and compare it with the float64 reference\n");
  if (gateStrength != "weak" && gateStrength != "strong") {
    std::optional<double> g = parseNumber(gateStrength);
    if (!g || std::isnan(*g))
      return fail("--gate must be 'weak', 'strong' or a log-decay (a number "
                  "such as -1e4 or -inf), got '" +
                  gateStrength + "'");
  }
  if (betaOpt != "random") {
    std::optional<double> b = parseNumber(betaOpt);
    if (!b || !std::isfinite(*b))
      return fail("--beta must be 'random' or a finite number, got '" +
                  betaOpt + "'");
  }
  static const char *const forms[] = {"auto",      "recurrent", "quadratic",
                                      "chunkwise", "reassociated",
                                      "reference"};
  if (!llvm::is_contained(forms, formOpt))
    return fail("--form must be auto, recurrent, quadratic, chunkwise, "
                "reassociated or reference, got '" +
                formOpt + "'");
  std::string targetError;
  bool targetFound =
      ::attn::target::resolveTarget(targetOpt, targetError).has_value();
  if (!targetFound && llvm::StringRef(targetOpt).ends_with(".json"))
    return fail("--target: " + targetError);
  if (!targetFound) {
    std::string known;
    for (const std::string &n : ::attn::target::targetNames())
      known += (known.empty() ? "" : ", ") + n;
    return fail("--target must be one of " + known + ", got '" + targetOpt +
                "'");
  }
  if (chunkSizeOpt < 0)
    return fail("--chunk-size must be positive (or 0: the cost model), got " +
                std::to_string(chunkSizeOpt));
  if (tolerance.getNumOccurrences() &&
      !(tolerance > 0 && std::isfinite(tolerance)))
    return fail("--tolerance must be a positive number, got " +
                std::to_string(tolerance));
  if (repeat == 0)
    return fail("--repeat must be at least 1");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  mlir::attn::registerAttnDialect(registry);
  mlir::attn::registerJitTranslations(registry);
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

  // Pick the functions.
  std::vector<func::FuncOp> funcs;
  std::string names;
  for (auto f : module->getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    names += (names.empty() ? "@" : ", @") + f.getSymName().str();
    if (allFuncs || funcName.empty() || f.getSymName() == funcName)
      funcs.push_back(f);
  }
  if (allFuncs && !funcName.empty())
    return fail("--all and --func exclude each other");
  if (funcs.empty())
    return fail(!funcName.empty()
                    ? "no function @" + funcName + " in " + inputFile +
                          (names.empty() ? "" : " (functions: " + names + ")")
                    : std::string("the module has no function with a body"));
  if (!allFuncs && funcName.empty() && funcs.size() != 1)
    return fail("the module has several functions (" + names +
                "); choose one with --func, or run them all with --all");
  if (!inputs.empty() && funcs.size() != 1)
    return fail("--input needs a single function");
  if (!allFuncs) {
    // Only the chosen function is compiled, unless it calls others.
    bool hasCalls = false;
    funcs.front().walk([&](func::CallOp) { hasCalls = true; });
    if (!hasCalls)
      for (auto other :
           llvm::make_early_inc_range(module->getOps<func::FuncOp>()))
        if (other != funcs.front())
          other.erase();
  }

  std::vector<FunctionRun> runs;
  for (func::FuncOp f : funcs) {
    FunctionRun run;
    std::string error;
    if (!prepare(f, run, error))
      return fail(error);
    runs.push_back(std::move(run));
  }

  // Lower and compile once for all of them.
  std::string pipelineText = pipeline.empty() ? defaultPipeline() : pipeline;
  PassManager pm(&context);
  if (failed(parsePassPipeline(pipelineText, pm, llvm::errs())))
    return fail("cannot parse --pipeline '" + pipelineText + "'");
  if (failed(pm.run(*module)))
    return fail("lowering with '" + pipelineText + "' failed");
  for (FunctionRun &run : runs) {
    // The call below passes results as trailing out-parameters.
    auto lowered = module->lookupSymbol<LLVM::LLVMFuncOp>(run.name);
    if (!lowered)
      return fail("the pipeline did not lower @" + run.name + " to llvm.func");
    if (!isa<LLVM::LLVMVoidType>(lowered.getFunctionType().getReturnType()))
      return fail("the pipeline left @" + run.name +
                  " returning values; it must turn results into "
                  "out-parameters");
  }
  auto jit = mlir::attn::JitModule::create(*module);
  if (!jit)
    return fail("JIT compilation failed: " + llvm::toString(jit.takeError()));

  bool allOk = true;
  for (FunctionRun &run : runs) {
    int rc = execute(**jit, run);
    if (rc != 0 && rc != kCheckFailed)
      return rc;
    allOk &= rc == 0;
  }
  return allOk ? 0 : 1;
}
