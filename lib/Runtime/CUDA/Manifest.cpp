//===- Manifest.cpp - attn-gpu-kernel/1 launch manifests ------------------===//

#include "Manifest.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
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

class Checker {
public:
  Checker(const std::string &sourceName, std::string &errorOut)
      : source(sourceName), error(errorOut) {}

  bool fail(const json::Value &at, const std::string &message) {
    error = source + ":" + std::to_string(at.line) + ":" +
            std::to_string(at.column) + ": " + message;
    return false;
  }
  bool fail(const std::string &message) {
    error = source + ": " + message;
    return false;
  }

  // Only `allowed` keys may appear in `object`.
  bool onlyKeys(const json::Value &object, const std::string &what,
                std::initializer_list<const char *> allowed) {
    for (const auto &member : object.members) {
      bool ok = false;
      for (const char *key : allowed)
        ok |= member.first == key;
      if (!ok) {
        std::string list;
        for (const char *key : allowed)
          list += std::string(list.empty() ? "" : ", ") + key;
        return fail(member.second, "unknown key \"" + member.first + "\" in " +
                                       what + " (expected " + list + ")");
      }
    }
    return true;
  }

  const json::Value *required(const json::Value &object, const char *key,
                              const std::string &what) {
    const json::Value *v = object.find(key);
    if (!v)
      fail(object, what + " has no \"" + key + "\"");
    return v;
  }

  bool string(const json::Value *v, const std::string &what,
              std::string &out, bool nonEmpty = true) {
    if (!v->isString())
      return fail(*v, what + " must be a string, got " +
                          json::kindName(v->kind));
    if (nonEmpty && v->text.empty())
      return fail(*v, what + " must not be empty");
    if (v->text.find('\0') != std::string::npos)
      return fail(*v, what + " must not contain a NUL character");
    out = v->text;
    return true;
  }

  bool integer(const json::Value *v, const std::string &what, int64_t lo,
               int64_t hi, int64_t &out) {
    if (!v->isInteger())
      return fail(*v, what + " must be an integer, got " +
                          (v->isNumber() ? v->text : json::kindName(v->kind)));
    out = v->integer();
    if (out < lo || out > hi)
      return fail(*v, what + " must be in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got " +
                          std::to_string(out));
    return true;
  }

private:
  const std::string &source;
  std::string &error;
};

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

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

bool checkAttributes(Checker &c, const json::Value &attrs) {
  if (!attrs.isObject())
    return c.fail(attrs, std::string("\"attributes\" must be an object, got ") +
                             json::kindName(attrs.kind));
  for (const auto &[key, v] : attrs.members) {
    std::string what = "attribute \"" + key + "\"";
    if (key == "scale") {
      if (!v.isNumber() || !std::isfinite(v.number) || v.number <= 0)
        return c.fail(v, what + " must be a finite number > 0");
    } else if (key == "causal" || key == "normalize") {
      if (!v.isBool())
        return c.fail(v, what + " must be true or false");
    } else if (key == "window" || key == "chunk_size") {
      int64_t n;
      if (!c.integer(&v, what, 0, int64_t(1) << 40, n))
        return false;
    } else if (key == "feature_map") {
      if (!v.isString() ||
          (v.text != "identity" && v.text != "elu_plus_one" &&
           v.text != "elu+1" && v.text != "relu"))
        return c.fail(v, what + " must be \"identity\", \"elu_plus_one\" "
                                "(or \"elu+1\") or \"relu\"");
    } else if (key == "gate") {
      if (!v.isString() ||
          (v.text != "none" && v.text != "scalar" && v.text != "vector"))
        return c.fail(v, what + " must be \"none\", \"scalar\" or \"vector\"");
    }
    // Other attributes are kept as they are (op-specific extensions).
  }
  return true;
}

bool checkBuffer(Checker &c, const json::Value &b, size_t index,
                 Buffer &out) {
  std::string what = "buffers[" + std::to_string(index) + "]";
  if (!b.isObject())
    return c.fail(b, what + " must be an object, got " +
                         json::kindName(b.kind));
  if (!c.onlyKeys(b, what, {"name", "role", "dtype", "shape"}))
    return false;
  const json::Value *name = c.required(b, "name", what);
  if (!name || !c.string(name, what + ".name", out.name))
    return false;
  what += " (" + quoted(out.name) + ")";

  const json::Value *role = c.required(b, "role", what);
  if (!role)
    return false;
  std::string s;
  if (!c.string(role, what + ".role", s))
    return false;
  if (s == "input")
    out.role = Role::Input;
  else if (s == "output")
    out.role = Role::Output;
  else if (s == "scratch")
    out.role = Role::Scratch;
  else
    return c.fail(*role, what + ".role must be \"input\", \"output\" or "
                                "\"scratch\", got " + quoted(s));

  const json::Value *dtype = c.required(b, "dtype", what);
  if (!dtype || !c.string(dtype, what + ".dtype", s))
    return false;
  if (s == "bf16")
    out.dtype = DType::BF16;
  else if (s == "f16")
    out.dtype = DType::F16;
  else if (s == "f32")
    out.dtype = DType::F32;
  else if (s == "i32")
    out.dtype = DType::I32;
  else
    return c.fail(*dtype, what + ".dtype must be one of bf16, f16, f32, i32, "
                                 "got " + quoted(s));

  const json::Value *shape = c.required(b, "shape", what);
  if (!shape)
    return false;
  if (!shape->isArray())
    return c.fail(*shape, what + ".shape must be an array of integers, got " +
                              json::kindName(shape->kind));
  if (shape->items.size() > 8)
    return c.fail(*shape, what + ".shape has rank " +
                              std::to_string(shape->items.size()) +
                              ": at most 8 dimensions");
  // 2^62 bytes bounds every size product below (no overflow).
  const uint64_t limit = uint64_t(1) << 62;
  uint64_t elements = 1;
  for (size_t d = 0; d < shape->items.size(); ++d) {
    int64_t n;
    if (!c.integer(&shape->items[d],
                   what + ".shape[" + std::to_string(d) + "]", 0,
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

bool checkDims(Checker &c, const json::Value *v, const std::string &what,
               const int64_t (&limits)[3], unsigned (&out)[3]) {
  if (!v->isArray() || v->items.size() != 3)
    return c.fail(*v, what + " must be an array of 3 positive integers");
  for (int d = 0; d < 3; ++d) {
    int64_t n;
    if (!c.integer(&v->items[d], what + "[" + std::to_string(d) + "]", 1,
                   limits[d], n))
      return false;
    out[d] = unsigned(n);
  }
  return true;
}

bool checkLaunch(Checker &c, const json::Value &l, size_t index,
                 size_t numBuffers, Launch &out) {
  std::string what = "launches[" + std::to_string(index) + "]";
  if (!l.isObject())
    return c.fail(l, what + " must be an object, got " +
                         json::kindName(l.kind));
  if (!c.onlyKeys(l, what, {"entry", "grid", "block", "shared_bytes", "args"}))
    return false;
  const json::Value *entry = c.required(l, "entry", what);
  if (!entry || !c.string(entry, what + ".entry", out.entry))
    return false;
  what += " (" + quoted(out.entry) + ")";

  const json::Value *grid = c.required(l, "grid", what);
  static const int64_t gridLimits[3] = {2147483647, 65535, 65535};
  if (!grid || !checkDims(c, grid, what + ".grid", gridLimits, out.grid))
    return false;
  const json::Value *block = c.required(l, "block", what);
  static const int64_t blockLimits[3] = {1024, 1024, 64};
  if (!block || !checkDims(c, block, what + ".block", blockLimits, out.block))
    return false;
  uint64_t threads = uint64_t(out.block[0]) * out.block[1] * out.block[2];
  if (threads > 1024)
    return c.fail(*block, what + ".block has " + std::to_string(threads) +
                              " threads: at most 1024");

  if (const json::Value *smem = l.find("shared_bytes")) {
    int64_t n;
    if (!c.integer(smem, what + ".shared_bytes", 0, 1 << 20, n))
      return false;
    out.sharedBytes = unsigned(n);
  }

  const json::Value *args = c.required(l, "args", what);
  if (!args)
    return false;
  if (!args->isArray())
    return c.fail(*args, what + ".args must be an array of buffer indices");
  for (size_t i = 0; i < args->items.size(); ++i) {
    const json::Value &a = args->items[i];
    if (!a.isInteger() || a.integer() < 0 ||
        uint64_t(a.integer()) >= numBuffers)
      return c.fail(a, what + ".args[" + std::to_string(i) +
                           "] must be a buffer index in [0, " +
                           std::to_string(numBuffers) + "), got " +
                           (a.isNumber() ? a.text : json::kindName(a.kind)));
    out.args.push_back(int(a.integer()));
  }
  return true;
}

// The buffers every op has, and the op-specific ones.
bool checkOpBuffers(Checker &c, const json::Value &root, Manifest &m) {
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
  if (m.op == "gated_linear_attention" && !need("g", Role::Input, " (the gate)"))
    return false;
  if (m.op == "delta_rule" && !need("beta", Role::Input, ""))
    return false;
  if (const json::Value *gate = m.attributes.find("gate")) {
    int g = m.findBuffer("g");
    if (gate->text != "none" && g < 0)
      return c.fail(*gate, "attribute \"gate\" is \"" + gate->text +
                               "\" but there is no buffer \"g\"");
    if (gate->text == "none" && g >= 0)
      return c.fail(*gate, "attribute \"gate\" is \"none\" but there is a "
                           "buffer \"g\"");
    if (g >= 0) {
      size_t rank = m.buffers[size_t(g)].shape.size();
      size_t want = gate->text == "vector" ? 4 : 3;
      if (rank != want)
        return c.fail(*gate, "a " + gate->text + " gate has rank " +
                                 std::to_string(want) + ", but buffer \"g\" " +
                                 "has rank " + std::to_string(rank));
    }
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

} // namespace

bool parseManifest(std::string_view text, const std::string &source,
                   const std::string &baseDir, Manifest &m,
                   std::string &error) {
  m = Manifest();
  json::Value root;
  std::string jsonError;
  if (!json::parse(text, root, jsonError)) {
    error = source + ":" + jsonError;
    return false;
  }
  Checker c(source, error);
  if (!root.isObject())
    return c.fail(root, std::string("a manifest is a JSON object, got ") +
                            json::kindName(root.kind));
  // The format first: a manifest of another version gets that message
  // rather than one about a key this version does not know.
  const json::Value *format = c.required(root, "format", "the manifest");
  if (!format || !c.string(format, "\"format\"", m.format))
    return false;
  if (m.format != kManifestFormat)
    return c.fail(*format, "unsupported format " + quoted(m.format) +
                               " (this runtime reads \"" + kManifestFormat +
                               "\")");
  if (!c.onlyKeys(root, "the manifest",
                  {"format", "name", "op", "target", "ptx", "attributes",
                   "buffers", "launches"}))
    return false;

  const json::Value *v;
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
    return c.fail(*v, "unknown op " + quoted(m.op) +
                          " (expected softmax_attention, linear_attention, "
                          "gated_linear_attention or delta_rule)");
  if (!(v = c.required(root, "target", "the manifest")) ||
      !c.string(v, "\"target\"", m.target))
    return false;
  if (!validTarget(m.target))
    return c.fail(*v, "\"target\" must look like sm_80 or sm_90a, got " +
                          quoted(m.target));
  if (!(v = c.required(root, "ptx", "the manifest")) ||
      !c.string(v, "\"ptx\"", m.ptx))
    return false;
  m.ptxPath = joinPath(baseDir, m.ptx);

  m.attributes.kind = json::Value::Kind::Object;
  if (const json::Value *attrs = root.find("attributes")) {
    if (!checkAttributes(c, *attrs))
      return false;
    m.attributes = *attrs;
  }

  const json::Value *buffers = c.required(root, "buffers", "the manifest");
  if (!buffers)
    return false;
  if (!buffers->isArray() || buffers->items.empty())
    return c.fail(*buffers, "\"buffers\" must be a non-empty array");
  if (buffers->items.size() > 256)
    return c.fail(*buffers, "\"buffers\" has more than 256 entries");
  std::set<std::string> names;
  for (size_t i = 0; i < buffers->items.size(); ++i) {
    Buffer b;
    if (!checkBuffer(c, buffers->items[i], i, b))
      return false;
    if (!names.insert(b.name).second)
      return c.fail(buffers->items[i], "two buffers are named " +
                                           quoted(b.name));
    m.buffers.push_back(std::move(b));
  }

  const json::Value *launches = c.required(root, "launches", "the manifest");
  if (!launches)
    return false;
  if (!launches->isArray() || launches->items.empty())
    return c.fail(*launches, "\"launches\" must be a non-empty array");
  for (size_t i = 0; i < launches->items.size(); ++i) {
    Launch l;
    if (!checkLaunch(c, launches->items[i], i, m.buffers.size(), l))
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
      return c.fail(buffers->items[b], "output " + quoted(m.buffers[b].name) +
                                           " is an argument of no launch");
  }
  return checkOpBuffers(c, root, m);
}

namespace {

// PTX with comments blanked out (newlines kept), string literals untouched.
std::string stripComments(std::string_view ptx) {
  std::string out(ptx);
  size_t i = 0, n = out.size();
  while (i < n) {
    char ch = out[i];
    if (ch == '"') {
      for (++i; i < n && out[i] != '"' && out[i] != '\n'; ++i)
        if (out[i] == '\\')
          ++i;
      ++i;
    } else if (ch == '/' && i + 1 < n && out[i + 1] == '/') {
      while (i < n && out[i] != '\n')
        out[i++] = ' ';
    } else if (ch == '/' && i + 1 < n && out[i + 1] == '*') {
      while (i < n && !(out[i] == '*' && i + 1 < n && out[i + 1] == '/')) {
        if (out[i] != '\n')
          out[i] = ' ';
        ++i;
      }
      if (i < n) {
        out[i] = out[i + 1] = ' ';
        i += 2;
      }
    } else {
      ++i;
    }
  }
  return out;
}

bool isIdentChar(char c) {
  return std::isalnum((unsigned char)c) || c == '_' || c == '$' || c == '%' ||
         c == '.';
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Positions where directive `word` (".entry") starts as a whole token.
std::vector<size_t> findDirective(const std::string &s, const char *word) {
  std::vector<size_t> found;
  size_t len = std::strlen(word);
  for (size_t p = s.find(word); p != std::string::npos;
       p = s.find(word, p + 1)) {
    bool startOk = p == 0 || !isIdentChar(s[p - 1]);
    bool endOk = p + len >= s.size() || isSpace(s[p + len]);
    if (startOk && endOk)
      found.push_back(p);
  }
  return found;
}

std::string nextToken(const std::string &s, size_t &p) {
  while (p < s.size() && isSpace(s[p]))
    ++p;
  size_t start = p;
  while (p < s.size() && !isSpace(s[p]) && s[p] != '(' && s[p] != ',' &&
         s[p] != ';' && s[p] != '{')
    ++p;
  return s.substr(start, p - start);
}

} // namespace

bool scanPtx(std::string_view ptx, PtxInfo &info, std::string &error) {
  info = PtxInfo();
  std::string s = stripComments(ptx);
  std::vector<size_t> targets = findDirective(s, ".target");
  if (targets.empty()) {
    error = "no .target directive: this is not PTX";
    return false;
  }
  size_t p = targets[0] + 7;
  info.target = nextToken(s, p);
  std::vector<size_t> versions = findDirective(s, ".version");
  if (!versions.empty()) {
    size_t q = versions[0] + 8;
    info.version = nextToken(s, q);
  }
  for (size_t e : findDirective(s, ".entry")) {
    size_t q = e + 6;
    std::string name = nextToken(s, q);
    if (name.empty()) {
      error = "malformed .entry directive";
      return false;
    }
    while (q < s.size() && isSpace(s[q]))
      ++q;
    int params = 0;
    if (q < s.size() && s[q] == '(') {
      size_t close = s.find(')', q);
      if (close == std::string::npos) {
        error = "unterminated parameter list of .entry " + name;
        return false;
      }
      std::string list = s.substr(q + 1, close - q - 1);
      params = int(findDirective(list, ".param").size());
    }
    info.entryParams[name] = params;
  }
  return true;
}

bool checkPtx(const Manifest &m, std::string_view ptx,
              const std::string &source, std::string &error) {
  PtxInfo info;
  std::string scanError;
  if (!scanPtx(ptx, info, scanError)) {
    error = source + ": " + scanError;
    return false;
  }
  if (info.target != m.target) {
    error = source + ": the PTX targets " + info.target +
            " but the manifest says \"target\": \"" + m.target + "\"";
    return false;
  }
  for (size_t i = 0; i < m.launches.size(); ++i) {
    const Launch &l = m.launches[i];
    auto it = info.entryParams.find(l.entry);
    if (it == info.entryParams.end()) {
      std::string known;
      for (const auto &[name, n] : info.entryParams)
        known += (known.empty() ? "" : ", ") + name;
      error = source + ": launches[" + std::to_string(i) + "] names entry \"" +
              l.entry + "\", which the PTX does not define (its entries: " +
              (known.empty() ? "none" : known) + ")";
      return false;
    }
    if (size_t(it->second) != l.args.size()) {
      error = source + ": entry \"" + l.entry + "\" takes " +
              std::to_string(it->second) + " parameters but launches[" +
              std::to_string(i) + "] passes " + std::to_string(l.args.size()) +
              " buffers";
      return false;
    }
  }
  return true;
}

bool readFile(const std::string &path, std::string &out, std::string &error,
              size_t maxBytes) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  out.clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (out.size() + n > maxBytes) {
      std::fclose(f);
      error = path + ": larger than " + std::to_string(maxBytes) + " bytes";
      return false;
    }
    out.append(buf, n);
  }
  bool bad = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (bad) {
    error = path + ": read error: " + std::strerror(err);
    return false;
  }
  return true;
}

LoadResult loadManifestFile(const std::string &path, Manifest &m,
                            std::string &ptx, std::string &error) {
  std::string text;
  if (!readFile(path, text, error, size_t(16) << 20))
    return LoadResult::IOError;
  std::string dir;
  size_t slash = path.rfind('/');
  if (slash != std::string::npos)
    dir = path.substr(0, slash + 1);
  if (!parseManifest(text, path, dir, m, error))
    return LoadResult::InvalidManifest;
  if (!readFile(m.ptxPath, ptx, error)) {
    error = path + ": the PTX file it names: " + error;
    return LoadResult::IOError;
  }
  if (ptx.empty()) {
    error = m.ptxPath + ": empty PTX file";
    return LoadResult::InvalidPtx;
  }
  if (ptx.find('\0') != std::string::npos) {
    error = m.ptxPath + ": contains a NUL byte: PTX is text (a cubin or "
                        "fatbin is not supported here)";
    return LoadResult::InvalidPtx;
  }
  if (!checkPtx(m, ptx, m.ptxPath, error))
    return LoadResult::InvalidPtx;
  return LoadResult::Ok;
}

} // namespace attn::cuda
