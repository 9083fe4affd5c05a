//===- TargetDescription.cpp - target descriptions from JSON --------------===//
//
// The presets are the JSON files of Targets/ (embedded at build time); where
// each number comes from is written in the file's "notes". A description may
// also be read from a file at run time.
//
//===----------------------------------------------------------------------===//

#include "attn/TargetInfo/TargetDescription.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace attn::target {

namespace {

struct EmbeddedFile {
  const char *stem;
  const char *text;
};

const EmbeddedFile kPresetFiles[] = {
#include "TargetPresets.inc"
};

/// One JSON field of a description: its name and where it goes.
struct Field {
  const char *key;
  double TargetDescription::*real = nullptr;
  int64_t TargetDescription::*integer = nullptr;
};

const Field kFields[] = {
    {"peak_matmul_gflops", &TargetDescription::peakMatmulGflops},
    {"peak_vector_gflops", &TargetDescription::peakVectorGflops},
    {"mem_bandwidth_gbs", &TargetDescription::memBandwidthGBs},
    {"sequential_step_ns", &TargetDescription::sequentialStepNs},
    {"loop_iteration_ns", &TargetDescription::loopIterationNs},
    {"parallel_units", nullptr, &TargetDescription::parallelUnits},
    {"vector_bits", nullptr, &TargetDescription::vectorBits},
    {"l1_bytes", nullptr, &TargetDescription::l1Bytes},
    {"l2_bytes", nullptr, &TargetDescription::l2Bytes},
    {"vector_registers", nullptr, &TargetDescription::vectorRegisters},
    {"smem_bytes_per_unit", nullptr, &TargetDescription::smemBytesPerUnit},
    {"mma_m", nullptr, &TargetDescription::mmaM},
    {"mma_n", nullptr, &TargetDescription::mmaN},
    {"mma_k", nullptr, &TargetDescription::mmaK},
    {"sm_version", nullptr, &TargetDescription::smVersion},
};

/// What each kind must give (the cost model divides by or sizes tiles from
/// these); the rest defaults to 0.
const char *const kRequiredAll[] = {"name", "kind", "parallel_units",
                                    "peak_matmul_gflops", "peak_vector_gflops",
                                    "mem_bandwidth_gbs"};
const char *const kRequiredCpu[] = {"vector_bits", "l1_bytes", "l2_bytes"};
const char *const kRequiredGpu[] = {"smem_bytes_per_unit", "mma_m", "mma_n",
                                    "mma_k", "sm_version"};

bool fail(std::string &error, const std::string &origin,
          const std::string &message) {
  error = origin + ": " + message;
  return false;
}

bool readFields(const llvm::json::Object &obj, const std::string &origin,
                TargetDescription &t, std::string &error) {
  for (const auto &[key, value] : obj) {
    std::string k = key.str();
    if (k == "about" || k == "notes")
      continue; // free text for people
    if (k == "name") {
      std::optional<llvm::StringRef> s = value.getAsString();
      if (!s || s->empty())
        return fail(error, origin, "'name' must be a non-empty string");
      t.name = s->str();
      continue;
    }
    if (k == "kind") {
      std::optional<llvm::StringRef> s = value.getAsString();
      if (!s || (*s != "cpu" && *s != "gpu"))
        return fail(error, origin, "'kind' must be \"cpu\" or \"gpu\"");
      t.kind = *s == "cpu" ? TargetKind::CPU : TargetKind::GPU;
      continue;
    }
    const Field *field = nullptr;
    for (const Field &f : kFields)
      if (k == f.key)
        field = &f;
    if (!field)
      return fail(error, origin, "unknown field '" + k + "'");
    if (field->real) {
      std::optional<double> d = value.getAsNumber();
      if (!d || *d < 0)
        return fail(error, origin, "'" + k + "' must be a number >= 0");
      t.*(field->real) = *d;
    } else {
      std::optional<int64_t> i = value.getAsInteger();
      if (!i || *i < 0)
        return fail(error, origin, "'" + k + "' must be an integer >= 0");
      t.*(field->integer) = *i;
    }
  }
  return true;
}

bool checkRequired(const llvm::json::Object &obj, const std::string &origin,
                   const TargetDescription &t, std::string &error) {
  auto need = [&](const char *key) {
    return obj.get(key) ||
           fail(error, origin, std::string("missing field '") + key + "'");
  };
  for (const char *key : kRequiredAll)
    if (!need(key))
      return false;
  if (t.kind == TargetKind::CPU) {
    for (const char *key : kRequiredCpu)
      if (!need(key))
        return false;
  } else {
    for (const char *key : kRequiredGpu)
      if (!need(key))
        return false;
  }
  if (t.parallelUnits < 1)
    return fail(error, origin, "'parallel_units' must be at least 1");
  return true;
}

const std::vector<TargetDescription> &presets() {
  static const std::vector<TargetDescription> all = [] {
    std::vector<TargetDescription> out;
    for (const EmbeddedFile &f : kPresetFiles) {
      std::string error;
      std::optional<TargetDescription> t = parseTargetDescription(
          f.text, std::string("Targets/") + f.stem + ".json", error);
      // The files are checked by the unit tests; a broken one is a build
      // mistake, not a user error.
      if (!t || t->name != f.stem) {
        std::fprintf(stderr, "attn: malformed built-in target %s: %s\n",
                     f.stem, t ? "name differs from the file" : error.c_str());
        std::abort();
      }
      out.push_back(std::move(*t));
    }
    // CPUs first, widest vectors first (x86-avx512 is the default host
    // target), then GPUs by generation: the order messages list them in.
    std::sort(out.begin(), out.end(),
              [](const TargetDescription &a, const TargetDescription &b) {
                if (a.kind != b.kind)
                  return a.kind == TargetKind::CPU;
                if (a.vectorBits != b.vectorBits)
                  return a.vectorBits > b.vectorBits;
                if (a.smVersion != b.smVersion)
                  return a.smVersion < b.smVersion;
                return a.name < b.name;
              });
    return out;
  }();
  return all;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::optional<TargetDescription>
parseTargetDescription(const std::string &json, const std::string &origin,
                       std::string &error) {
  llvm::Expected<llvm::json::Value> value = llvm::json::parse(json);
  if (!value) {
    fail(error, origin, "not valid JSON: " + llvm::toString(value.takeError()));
    return std::nullopt;
  }
  const llvm::json::Object *obj = value->getAsObject();
  if (!obj) {
    fail(error, origin, "a target description is a JSON object");
    return std::nullopt;
  }
  TargetDescription t;
  if (!readFields(*obj, origin, t, error) ||
      !checkRequired(*obj, origin, t, error))
    return std::nullopt;
  return t;
}

std::optional<TargetDescription> resolveTarget(const std::string &name,
                                               std::string &error) {
  if (endsWith(name, ".json")) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
        llvm::MemoryBuffer::getFile(name);
    if (!file) {
      error = name + ": cannot read: " + file.getError().message();
      return std::nullopt;
    }
    return parseTargetDescription((*file)->getBuffer().str(), name, error);
  }
  for (const TargetDescription &t : presets())
    if (t.name == name)
      return t;
  error = "unknown target '" + name + "'; expected one of";
  for (const std::string &n : targetNames())
    error += " " + n;
  error += ", or the path of a target description (.json)";
  return std::nullopt;
}

std::optional<TargetDescription> lookupTarget(const std::string &name) {
  std::string error;
  return resolveTarget(name, error);
}

std::vector<std::string> targetNames() {
  std::vector<std::string> names;
  for (const TargetDescription &t : presets())
    names.push_back(t.name);
  return names;
}

const TargetDescription &defaultCpuTarget() {
  // The presets vector is built once and never changes, so a reference into
  // it stays valid.
  return presets().front();
}

} // namespace attn::target
