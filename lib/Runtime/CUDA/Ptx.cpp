//===- Ptx.cpp - Static checks of a manifest's PTX ------------------------===//

#include "Ptx.h"

#include "Manifest.h"

#include <cctype>
#include <cstring>

namespace attn::cuda {

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

} // namespace attn::cuda
