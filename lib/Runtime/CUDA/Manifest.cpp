//===- Manifest.cpp - The attn-gpu-kernel/1 schema ------------------------===//
//
// The fields of a manifest, their types and the checks on them (the format
// is docs/gpu-runtime.md). JsonDocument parses and knows where each value
// starts, so every message names the field and points at its value.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include <cmath>
#include <initializer_list>
#include <set>

namespace attn::cuda {

const char *roleName(Role role) {
  switch (role) {
  case Role::Input:
    return "input";
  case Role::Output:
    return "output";
  case Role::Scratch:
    return "scratch";
  }
  return "?";
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  case DType::F32:
    return "f32";
  case DType::I32:
    return "i32";
  }
  return "?";
}

size_t dtypeSize(DType dtype) {
  return dtype == DType::BF16 || dtype == DType::F16 ? 2 : 4;
}

int Manifest::findBuffer(std::string_view bufferName) const {
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].name == bufferName)
      return int(i);
  return -1;
}

int Manifest::targetCapability() const {
  // "sm_90a" -> 90; the parser checked the form.
  int cc = 0;
  for (size_t i = 3; i < target.size() && target[i] >= '0' && target[i] <= '9';
       ++i)
    cc = cc * 10 + (target[i] - '0');
  return cc;
}

bool Manifest::targetIsArchSpecific() const {
  return !target.empty() && (target.back() == 'a' || target.back() == 'f');
}

namespace {

const char *const kOps[] = {"softmax_attention", "linear_attention",
                            "gated_linear_attention", "delta_rule"};

std::string inQuotes(const std::string &s) { return "\"" + s + "\""; }

// A number as written ("1.5"), anything else by its type ("string").
std::string describe(const Json &v) {
  return v.is_number() ? v.dump() : v.type_name();
}

// Typed access to the fields of the document; `what` is the field's path
// in messages ("buffers[3] (\"g\").dtype").
class Checker {
public:
  Checker(const JsonDocument &document, const std::string &sourceName,
          std::string &errorOut)
      : doc(document), source(sourceName), error(errorOut) {}

  bool fail(const Json &at, const std::string &message) {
    std::string where = doc.location(at);
    error = source + (where.empty() ? "" : ":" + where) + ": " + message;
    return false;
  }

  // Only `allowed` keys may appear in `object`.
  bool onlyKeys(const Json &object, const std::string &what,
                std::initializer_list<const char *> allowed) {
    for (const auto &member : object.items()) {
      bool ok = false;
      for (const char *key : allowed)
        ok |= member.key() == key;
      if (!ok) {
        std::string list;
        for (const char *key : allowed)
          list += std::string(list.empty() ? "" : ", ") + key;
        return fail(member.value(), "unknown key " + inQuotes(member.key()) +
                                        " in " + what + " (expected " + list +
                                        ")");
      }
    }
    return true;
  }

  const Json *required(const Json &object, const char *key,
                       const std::string &what) {
    auto it = object.find(key);
    if (it == object.end()) {
      fail(object, what + " has no \"" + key + "\"");
      return nullptr;
    }
    return &*it;
  }

  bool string(const Json *v, const std::string &what, std::string &out) {
    if (!v->is_string())
      return fail(*v, what + " must be a string, got " + v->type_name());
    const auto &s = v->get_ref<const std::string &>();
    if (s.empty())
      return fail(*v, what + " must not be empty");
    if (s.find('\0') != std::string::npos)
      return fail(*v, what + " must not contain a NUL character");
    out = s;
    return true;
  }

  bool integer(const Json &v, const std::string &what, int64_t lo, int64_t hi,
               int64_t &out) {
    if (!v.is_number_integer())
      return fail(v, what + " must be an integer, got " + describe(v));
    // Non-negative literals are stored unsigned, and may not fit int64_t.
    bool inRange = v.is_number_unsigned()
                       ? v.get<uint64_t>() <= uint64_t(hi) &&
                             (lo <= 0 || v.get<uint64_t>() >= uint64_t(lo))
                       : v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
    if (!inRange)
      return fail(v, what + " must be in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got " + v.dump());
    out = v.get<int64_t>();
    return true;
  }

  // One of the names `nameOf` gives the `values`.
  template <typename Enum, typename NameOf>
  bool oneOf(const Json *v, const std::string &what,
             std::initializer_list<Enum> values, NameOf nameOf,
             const std::string &expected, Enum &out) {
    std::string s;
    if (!string(v, what, s))
      return false;
    for (Enum e : values)
      if (s == nameOf(e)) {
        out = e;
        return true;
      }
    return fail(*v, what + " must be " + expected + ", got " + inQuotes(s));
  }

private:
  const JsonDocument &doc;
  const std::string &source;
  std::string &error;
};

bool validTarget(const std::string &t) {
  if (t.size() < 5 || t.compare(0, 3, "sm_") != 0)
    return false;
  size_t i = 3;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9')
    ++i;
  size_t digits = i - 3;
  if (digits < 2 || digits > 3)
    return false;
  if (i == t.size())
    return true;
  return i + 1 == t.size() && (t[i] == 'a' || t[i] == 'f');
}

bool isOneOf(const Json &v, std::initializer_list<const char *> names) {
  if (!v.is_string())
    return false;
  for (const char *name : names)
    if (v == name)
      return true;
  return false;
}

bool checkAttributes(Checker &c, const Json &attrs) {
  if (!attrs.is_object())
    return c.fail(attrs, std::string("\"attributes\" must be an object, got ") +
                             attrs.type_name());
  for (const auto &member : attrs.items()) {
    const std::string &key = member.key();
    const Json &v = member.value();
    std::string what = "attribute " + inQuotes(key);
    if (key == "scale") {
      if (!v.is_number() || !std::isfinite(v.get<double>()) ||
          v.get<double>() <= 0)
        return c.fail(v, what + " must be a finite number > 0");
    } else if (key == "causal" || key == "normalize") {
      if (!v.is_boolean())
        return c.fail(v, what + " must be true or false");
    } else if (key == "window" || key == "chunk_size") {
      int64_t n;
      if (!c.integer(v, what, 0, int64_t(1) << 40, n))
        return false;
    } else if (key == "feature_map") {
      if (!isOneOf(v, {"identity", "elu_plus_one", "elu+1", "relu"}))
        return c.fail(v, what + " must be \"identity\", \"elu_plus_one\" "
                                "(or \"elu+1\") or \"relu\"");
    } else if (key == "gate") {
      if (!isOneOf(v, {"none", "scalar", "vector"}))
        return c.fail(v, what + " must be \"none\", \"scalar\" or \"vector\"");
    }
    // Other attributes are kept as they are (op-specific extensions).
  }
  return true;
}

bool checkBuffer(Checker &c, const Json &b, size_t index, Buffer &out) {
  std::string what = "buffers[" + std::to_string(index) + "]";
  if (!b.is_object())
    return c.fail(b, what + " must be an object, got " + b.type_name());
  if (!c.onlyKeys(b, what, {"name", "role", "dtype", "shape"}))
    return false;
  const Json *name = c.required(b, "name", what);
  if (!name || !c.string(name, what + ".name", out.name))
    return false;
  what += " (" + inQuotes(out.name) + ")";

  const Json *role = c.required(b, "role", what);
  if (!role ||
      !c.oneOf(role, what + ".role", {Role::Input, Role::Output, Role::Scratch},
               roleName, "\"input\", \"output\" or \"scratch\"", out.role))
    return false;
  const Json *dtype = c.required(b, "dtype", what);
  if (!dtype || !c.oneOf(dtype, what + ".dtype",
                         {DType::BF16, DType::F16, DType::F32, DType::I32},
                         dtypeName, "one of bf16, f16, f32, i32", out.dtype))
    return false;

  const Json *shape = c.required(b, "shape", what);
  if (!shape)
    return false;
  if (!shape->is_array())
    return c.fail(*shape, what + ".shape must be an array of integers, got " +
                              shape->type_name());
  if (shape->size() > 8)
    return c.fail(*shape, what + ".shape has rank " +
                              std::to_string(shape->size()) +
                              ": at most 8 dimensions");
  // 2^62 bytes bounds every size product below (no overflow).
  const uint64_t limit = uint64_t(1) << 62;
  uint64_t elements = 1;
  for (size_t d = 0; d < shape->size(); ++d) {
    int64_t n;
    if (!c.integer((*shape)[d], what + ".shape[" + std::to_string(d) + "]", 0,
                   int64_t(1) << 40, n))
      return false;
    out.shape.push_back(n);
    if (n != 0 && elements > limit / uint64_t(n))
      return c.fail(*shape, what + ".shape has more than 2^62 elements");
    elements *= uint64_t(n);
  }
  if (elements > limit / dtypeSize(out.dtype))
    return c.fail(*shape, what + " is larger than 2^62 bytes");
  out.numElements = elements;
  out.sizeBytes = elements * dtypeSize(out.dtype);
  return true;
}

bool checkDims(Checker &c, const Json *v, const std::string &what,
               const int64_t (&limits)[3], unsigned (&out)[3]) {
  if (!v->is_array() || v->size() != 3)
    return c.fail(*v, what + " must be an array of 3 positive integers");
  for (size_t d = 0; d < 3; ++d) {
    int64_t n;
    if (!c.integer((*v)[d], what + "[" + std::to_string(d) + "]", 1, limits[d],
                   n))
      return false;
    out[d] = unsigned(n);
  }
  return true;
}

bool checkLaunch(Checker &c, const Json &l, size_t index, size_t numBuffers,
                 Launch &out) {
  std::string what = "launches[" + std::to_string(index) + "]";
  if (!l.is_object())
    return c.fail(l, what + " must be an object, got " + l.type_name());
  if (!c.onlyKeys(l, what,
                  {"entry", "grid", "block", "shared_bytes", "args", "what"}))
    return false;
  const Json *entry = c.required(l, "entry", what);
  if (!entry || !c.string(entry, what + ".entry", out.entry))
    return false;
  what += " (" + inQuotes(out.entry) + ")";

  const Json *grid = c.required(l, "grid", what);
  static const int64_t gridLimits[3] = {2147483647, 65535, 65535};
  if (!grid || !checkDims(c, grid, what + ".grid", gridLimits, out.grid))
    return false;
  const Json *block = c.required(l, "block", what);
  static const int64_t blockLimits[3] = {1024, 1024, 64};
  if (!block || !checkDims(c, block, what + ".block", blockLimits, out.block))
    return false;
  uint64_t threads = uint64_t(out.block[0]) * out.block[1] * out.block[2];
  if (threads > 1024)
    return c.fail(*block, what + ".block has " + std::to_string(threads) +
                              " threads: at most 1024");

  // "what": the compiler's description of the kernel, for people (attn.explain).
  auto described = l.find("what");
  if (described != l.end() && !described->is_string())
    return c.fail(*described, what + ".what must be a string");

  auto smem = l.find("shared_bytes");
  if (smem != l.end()) {
    int64_t n;
    if (!c.integer(*smem, what + ".shared_bytes", 0, 1 << 20, n))
      return false;
    out.sharedBytes = unsigned(n);
  }

  const Json *args = c.required(l, "args", what);
  if (!args)
    return false;
  if (!args->is_array())
    return c.fail(*args, what + ".args must be an array of buffer indices");
  for (size_t i = 0; i < args->size(); ++i) {
    const Json &a = (*args)[i];
    // get<int64_t>() of a literal beyond int64_t is negative: rejected too.
    if (!a.is_number_integer() || a.get<int64_t>() < 0 ||
        uint64_t(a.get<int64_t>()) >= numBuffers)
      return c.fail(a, what + ".args[" + std::to_string(i) +
                           "] must be a buffer index in [0, " +
                           std::to_string(numBuffers) + "), got " +
                           describe(a));
    out.args.push_back(a.get<int>());
  }
  return true;
}

// The buffers every op has, and the op-specific ones. `attrs` is the
// document's "attributes" (or null), for locations.
bool checkOpBuffers(Checker &c, const Json &root, const Json *attrs,
                    Manifest &m) {
  auto need = [&](const char *name, Role role, const char *why) {
    int i = m.findBuffer(name);
    if (i < 0)
      return c.fail(root, m.op + " needs " + std::string(roleName(role)) +
                              " buffer \"" + name + "\"" + why);
    if (m.buffers[size_t(i)].role != role)
      return c.fail(root, "buffer \"" + std::string(name) + "\" of " + m.op +
                              " must have role \"" + roleName(role) +
                              "\", not \"" +
                              roleName(m.buffers[size_t(i)].role) + "\"");
    return true;
  };
  if (!need("q", Role::Input, "") || !need("k", Role::Input, "") ||
      !need("v", Role::Input, "") || !need("o", Role::Output, ""))
    return false;
  if (m.op == "gated_linear_attention" &&
      !need("g", Role::Input, " (the gate)"))
    return false;
  if (m.op == "delta_rule" && !need("beta", Role::Input, ""))
    return false;
  auto gateIt = attrs ? attrs->find("gate") : root.end();
  if (!attrs || gateIt == attrs->end())
    return true;
  const Json &gate = *gateIt;
  const std::string &kind = gate.get_ref<const std::string &>();
  int g = m.findBuffer("g");
  if (kind != "none" && g < 0)
    return c.fail(gate, "attribute \"gate\" is \"" + kind +
                            "\" but there is no buffer \"g\"");
  if (kind == "none" && g >= 0)
    return c.fail(gate, "attribute \"gate\" is \"none\" but there is a "
                        "buffer \"g\"");
  if (g >= 0) {
    size_t rank = m.buffers[size_t(g)].shape.size();
    size_t want = kind == "vector" ? 4 : 3;
    if (rank != want)
      return c.fail(gate, "a " + kind + " gate has rank " +
                              std::to_string(want) + ", but buffer \"g\" " +
                              "has rank " + std::to_string(rank));
  }
  return true;
}

std::string joinPath(const std::string &dir, const std::string &file) {
  if (!file.empty() && file[0] == '/')
    return file;
  if (dir.empty())
    return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

bool checkManifest(Checker &c, const Json &root, const std::string &baseDir,
                   Manifest &m) {
  if (!root.is_object())
    return c.fail(root, std::string("a manifest is a JSON object, got ") +
                            root.type_name());
  // The format first: a manifest of another version gets that message
  // rather than one about a key this version does not know.
  const Json *format = c.required(root, "format", "the manifest");
  if (!format || !c.string(format, "\"format\"", m.format))
    return false;
  if (m.format != kManifestFormat)
    return c.fail(*format, "unsupported format " + inQuotes(m.format) +
                               " (this runtime reads \"" + kManifestFormat +
                               "\")");
  if (!c.onlyKeys(root, "the manifest",
                  {"format", "name", "op", "target", "ptx", "attributes",
                   "buffers", "launches"}))
    return false;

  const Json *v;
  if (!(v = c.required(root, "name", "the manifest")) ||
      !c.string(v, "\"name\"", m.name))
    return false;
  if (!(v = c.required(root, "op", "the manifest")) ||
      !c.string(v, "\"op\"", m.op))
    return false;
  bool knownOp = false;
  for (const char *op : kOps)
    knownOp |= m.op == op;
  if (!knownOp)
    return c.fail(*v, "unknown op " + inQuotes(m.op) +
                          " (expected softmax_attention, linear_attention, "
                          "gated_linear_attention or delta_rule)");
  if (!(v = c.required(root, "target", "the manifest")) ||
      !c.string(v, "\"target\"", m.target))
    return false;
  if (!validTarget(m.target))
    return c.fail(*v, "\"target\" must look like sm_80 or sm_90a, got " +
                          inQuotes(m.target));
  if (!(v = c.required(root, "ptx", "the manifest")) ||
      !c.string(v, "\"ptx\"", m.ptx))
    return false;
  m.ptxPath = joinPath(baseDir, m.ptx);

  const Json *attrs = nullptr;
  if (auto it = root.find("attributes"); it != root.end()) {
    attrs = &*it;
    if (!checkAttributes(c, *attrs))
      return false;
    m.attributes = *attrs;
  }

  const Json *buffers = c.required(root, "buffers", "the manifest");
  if (!buffers)
    return false;
  if (!buffers->is_array() || buffers->empty())
    return c.fail(*buffers, "\"buffers\" must be a non-empty array");
  if (buffers->size() > 256)
    return c.fail(*buffers, "\"buffers\" has more than 256 entries");
  std::set<std::string> names;
  for (size_t i = 0; i < buffers->size(); ++i) {
    Buffer b;
    if (!checkBuffer(c, (*buffers)[i], i, b))
      return false;
    if (!names.insert(b.name).second)
      return c.fail((*buffers)[i], "two buffers are named " + inQuotes(b.name));
    m.buffers.push_back(std::move(b));
  }

  const Json *launches = c.required(root, "launches", "the manifest");
  if (!launches)
    return false;
  if (!launches->is_array() || launches->empty())
    return c.fail(*launches, "\"launches\" must be a non-empty array");
  for (size_t i = 0; i < launches->size(); ++i) {
    Launch l;
    if (!checkLaunch(c, (*launches)[i], i, m.buffers.size(), l))
      return false;
    m.launches.push_back(std::move(l));
  }

  // Every output is written by some launch.
  for (size_t b = 0; b < m.buffers.size(); ++b) {
    if (m.buffers[b].role != Role::Output)
      continue;
    bool used = false;
    for (const Launch &l : m.launches)
      for (int a : l.args)
        used |= size_t(a) == b;
    if (!used)
      return c.fail((*buffers)[b], "output " + inQuotes(m.buffers[b].name) +
                                       " is an argument of no launch");
  }
  return checkOpBuffers(c, root, attrs, m);
}

} // namespace

bool parseManifest(std::string_view text, const std::string &source,
                   const std::string &baseDir, Manifest &m,
                   std::string &error) {
  m = Manifest();
  JsonDocument doc;
  std::string jsonError;
  if (!doc.parse(text, jsonError)) {
    error = source + ":" + jsonError;
    return false;
  }
  // nlohmann reports misuse with exceptions; the checks test each type
  // before using it, but none may reach the C ABI.
  try {
    Checker c(doc, source, error);
    return checkManifest(c, doc.root(), baseDir, m);
  } catch (const Json::exception &e) {
    error = source + ": " + e.what();
    return false;
  }
}

} // namespace attn::cuda
