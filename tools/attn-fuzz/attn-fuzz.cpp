//===- attn-fuzz.cpp - libFuzzer target for the attn dialect and passes ----===//
//
// Each input is MLIR text. It is parsed and verified with the attn dialect
// (and the upstream dialects it and the pipelines use) registered; a module
// that verifies, and is small enough (see Budget below), then goes through
// attn-raise, attn-select-form, attn-select-chunk, attn-parallelize-heads
// (for half of the inputs), attn-lower-chunkwise and attn-lower-to-reference,
// one pass at a time; a comment line `// attn-fuzz: form=... target=...
// chunk-size=... explain parallelize` in the input sets the pass options. With ATTN_FUZZ_PIPELINE=full in the environment, what
// lowered also goes through the rest of the CPU pipeline to the LLVM dialect
// (attn-reference-to-llvm; no JIT).
//
// Diagnostics are captured, never printed (ATTN_FUZZ_VERBOSE=1 prints them,
// to understand a reproducer). Besides crashes, sanitizer reports and
// timeouts, the target aborts on two wrong answers of ours:
//   - a pass succeeds but leaves IR that does not verify;
//   - a pass fails without reporting an error.
//
//   build-fuzz/bin/attn-fuzz -max_total_time=300 -dict=tools/attn-fuzz/attn.dict \
//       build-fuzz/fuzz-corpus build-fuzz/tools/attn-fuzz/seed-corpus
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace mlir;

namespace {

/// What one input may cost. Parsing is linear in the input and the attn
/// passes in the number of ops: no pass loops over T or D at compile time
/// (the cost model once did: a causal softmax with T near 2^62 hung
/// attn-select-form), so static sizes are left free, up to 2^63 - 1, for the
/// attn passes. The optional full pipeline is bounded further: upstream
/// folds may materialize constants of the static sizes.
struct Budget {
  /// Longer inputs are not parsed (libFuzzer's -max_len is usually smaller).
  static constexpr size_t kMaxInputBytes = 64 * 1024;
  /// At most this many operations in the parsed module...
  static constexpr int64_t kMaxOps = 2000;
  /// ... and this many attn ops, each of which lowers to a few hundred ops.
  static constexpr int64_t kMaxAttnOps = 16;
  /// Full pipeline only: B*T*H*max(Dk, Dv) of every attn op.
  static constexpr double kMaxElementsFullPipeline = double(int64_t(1) << 32);
};

struct Options {
  bool fullPipeline = false;
  bool verbose = false;
};

Options &options() {
  static Options opts;
  return opts;
}

const DialectRegistry &registry() {
  static const DialectRegistry *reg = [] {
    auto *r = new DialectRegistry();
    mlir::attn::registerAttnDialect(*r);
    r->insert<func::FuncDialect>();
    // The external models (bufferization, conversion to LLVM, ...) that the
    // dialects the passes load promise; without them a promised interface
    // is a fatal error, not a diagnostic.
    registerAllExtensions(*r);
    return r;
  }();
  return *reg;
}

/// Whether the module is small enough to be worth running (else -1: not
/// worth keeping in the corpus either).
bool withinBudget(ModuleOp module) {
  int64_t ops = 0, attnOps = 0;
  module->walk([&](Operation *op) {
    ++ops;
    attnOps += isa<mlir::attn::AttentionOpInterface>(op);
  });
  return ops <= Budget::kMaxOps && attnOps <= Budget::kMaxAttnOps;
}

/// The full pipeline's extra bound on static sizes (dynamic ones count 1).
bool smallEnoughForFullPipeline(ModuleOp module) {
  bool ok = true;
  module->walk([&](mlir::attn::AttentionOpInterface op) {
    auto size = [](int64_t d) {
      return ShapedType::isDynamic(d) ? 1.0 : double(d);
    };
    double elements =
        size(op.getBatchSize()) *
        std::max(size(op.getQuerySeqLen()), size(op.getKeySeqLen())) *
        size(op.getNumHeads()) *
        std::max(size(op.getKeyDim()), size(op.getValueDim()));
    if (elements > Budget::kMaxElementsFullPipeline)
      ok = false;
  });
  return ok;
}

/// Whether the module holds only what the full pipeline is meant for: attn
/// ops in functions. Arbitrary upstream ops would fuzz upstream passes.
bool onlyAttnInFunctions(ModuleOp module) {
  bool ok = true;
  module->walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp,
            mlir::attn::AttentionOpInterface>(op))
      return;
    ok = false;
  });
  return ok;
}

/// The pass options of one input. A line `// attn-fuzz: form=chunkwise
/// target=sm_90 chunk-size=7 explain parallelize` anywhere in the input (a
/// comment to the parser) sets them, so that mutations reach every option
/// and its errors; without one, attn-parallelize-heads runs for half of the
/// inputs (by a checksum of their bytes), so that the lowerings also see
/// grouped heads, which they must reject.
struct Knobs {
  std::string target = "x86-avx512", form = "auto";
  int64_t chunkSize = 0;
  bool explain = false;
  bool parallelize = false;
};

Knobs knobsOf(StringRef text) {
  Knobs k;
  unsigned checksum = 0;
  for (char c : text)
    checksum += static_cast<unsigned char>(c);
  k.parallelize = checksum & 1;
  size_t pos = text.find("attn-fuzz:");
  if (pos == StringRef::npos)
    return k;
  StringRef line = text.substr(pos + 10).take_until(
      [](char c) { return c == '\n' || c == '\r'; });
  SmallVector<StringRef> words;
  line.split(words, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef w : words) {
    if (w.consume_front("target="))
      k.target = w.str();
    else if (w.consume_front("form="))
      k.form = w.str();
    else if (w.consume_front("chunk-size="))
      (void)w.getAsInteger(10, k.chunkSize); // else 0: the cost model
    else if (w == "explain")
      k.explain = true;
    else if (w == "parallelize")
      k.parallelize = true;
    else if (w == "no-parallelize")
      k.parallelize = false;
  }
  return k;
}

/// The diagnostics of one input: counted, kept for ATTN_FUZZ_VERBOSE and for
/// the message of an abort, never printed otherwise.
struct Diagnostics {
  int errors = 0;
  std::vector<std::string> messages;
  void record(Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    std::string s;
    llvm::raw_string_ostream os(s);
    os << diag.getLocation() << ": " << diag;
    for (Diagnostic &note : diag.getNotes())
      os << "\n  note: " << note;
    messages.push_back(std::move(s));
  }
  void print() const {
    for (const std::string &m : messages)
      llvm::errs() << m << "\n";
  }
};

[[noreturn]] void bug(const char *what, StringRef pass, const Diagnostics &d,
                      ModuleOp module) {
  llvm::errs() << "attn-fuzz: BUG: " << what << " (" << pass << ")\n";
  d.print();
  module->print(llvm::errs(), OpPrintingFlags().printGenericOpForm());
  llvm::errs() << "\n";
  std::abort();
}

/// Runs one pass (or pipeline) with the pass manager's own verifier off, so
/// that a pass that breaks the IR is caught here and reported as a bug.
/// Returns false when the pass rejected the input (with an error).
bool runChecked(ModuleOp module, StringRef name,
                const std::function<void(OpPassManager &)> &add,
                Diagnostics &diags) {
  PassManager pm(module->getContext(), ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  pm.enableVerifier(false);
  add(pm);
  int errorsBefore = diags.errors;
  if (failed(pm.run(module))) {
    if (diags.errors == errorsBefore)
      bug("pass failed without reporting an error", name, diags, module);
    return false;
  }
  if (failed(verify(module)))
    bug("pass succeeded but left IR that does not verify", name, diags,
        module);
  return true;
}

int fuzzOne(const uint8_t *data, size_t size) {
  if (size > Budget::kMaxInputBytes)
    return -1;
  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  Diagnostics diags;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diags.record(diag);
    return success();
  });
  struct PrintAtExit {
    const Diagnostics &d;
    ~PrintAtExit() {
      if (options().verbose)
        d.print();
    }
  } printAtExit{diags};

  // A null-terminated copy: the lexer may look one byte past the end.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "input"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 0; // Not MLIR, or does not verify: rejected with a diagnostic.
  if (!withinBudget(*module))
    return -1;
  bool fullPipeline = options().fullPipeline &&
                      onlyAttnInFunctions(*module) &&
                      smallEnoughForFullPipeline(*module);

  using namespace mlir::attn;
  Knobs knobs = knobsOf(
      StringRef(reinterpret_cast<const char *>(data), size));
  AttnSelectFormOptions formOpts;
  formOpts.targetName = knobs.target;
  formOpts.forcedForm = knobs.form;
  formOpts.explain = knobs.explain;
  AttnSelectChunkOptions chunkOpts;
  chunkOpts.targetName = knobs.target;
  chunkOpts.chunkSize = knobs.chunkSize;
  chunkOpts.explain = knobs.explain;
  if (!runChecked(*module, "attn-raise",
                  [](OpPassManager &pm) { pm.addPass(createAttnRaise()); },
                  diags) ||
      !runChecked(*module, "attn-select-form",
                  [&](OpPassManager &pm) {
                    pm.addPass(createAttnSelectForm(formOpts));
                  },
                  diags) ||
      !runChecked(*module, "attn-select-chunk",
                  [&](OpPassManager &pm) {
                    pm.addPass(createAttnSelectChunk(chunkOpts));
                  },
                  diags) ||
      (knobs.parallelize &&
       !runChecked(
           *module, "attn-parallelize-heads",
           [](OpPassManager &pm) { pm.addPass(createAttnParallelizeHeads()); },
           diags)) ||
      !runChecked(
          *module, "attn-lower-chunkwise",
          [](OpPassManager &pm) { pm.addPass(createAttnLowerChunkwise()); },
          diags) ||
      !runChecked(
          *module, "attn-lower-to-reference",
          [](OpPassManager &pm) { pm.addPass(createAttnLowerToReference()); },
          diags))
    return 0;
  if (fullPipeline)
    runChecked(*module, "attn-reference-to-llvm",
               [](OpPassManager &pm) {
                 buildAttnReferenceToLLVMPipeline(pm, {});
               },
               diags);
  return 0;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *p = std::getenv("ATTN_FUZZ_PIPELINE"))
    options().fullPipeline = StringRef(p) == "full";
  if (const char *v = std::getenv("ATTN_FUZZ_VERBOSE"))
    options().verbose = StringRef(v) != "0";
  // The CPU tail of the pipeline is built from upstream pass names.
  registerAllPasses();
  mlir::attn::registerAttnPasses();
  mlir::attn::registerAttnToCPUPasses();
  (void)registry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzzOne(data, size);
}
