// SPDX-License-Identifier: Apache-2.0
#include "yaml/yaml_document.hpp"

#include <sstream>
#include <unordered_map>
#include <utility>

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "yaml/utf8.hpp"

namespace pb {

namespace {

YamlMark toMark(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return YamlMark{1, 1};
  return YamlMark{m.line + 1, m.column + 1};
}

// Thrown out of the event handler to stop yaml-cpp at once (depth, node count, second document),
// before its recursive parser goes any further.
struct StopParse {
  YamlMark mark;
  std::string message;
};

// Builds the tree from yaml-cpp's event stream. Each open collection is a frame; a finished node
// is attached to the frame below it.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(YamlIssues& issues, const YamlLimits& limits) : issues_(issues), limits_(limits) {}

  std::optional<YamlNode> takeRoot() { return std::move(root_); }
  int documents() const { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) throw StopParse{toMark(mark), "only one YAML document is allowed"};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    checkAnchor(mark, anchor);
    YamlNode n;
    n.kind = YamlKind::Null;
    n.mark = toMark(mark);
    attach(std::move(n));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    issues_.add(toMark(mark), "", "aliases (*name) are not supported");
    YamlNode n;
    n.mark = toMark(mark);
    attach(std::move(n));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    checkAnchor(mark, anchor);
    checkTag(mark, tag);
    YamlNode n;
    n.kind = YamlKind::Scalar;
    n.mark = toMark(mark);
    // yaml-cpp tags plain scalars "?" and quoted/block scalars "!" (non-specific).
    n.quoted = tag != "?";
    // Escapes in double-quoted scalars ("\x00", "\ud800") can produce bytes the input check could
    // not see, so check the decoded value as well.
    if (!isValidUtf8(value) || value.find('\0') != std::string::npos) {
      issues_.add(n.mark, "", "string is not valid UTF-8 or contains a NUL character");
    } else {
      n.scalar = value;
    }
    attach(std::move(n));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, YamlKind::Sequence);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, YamlKind::Mapping);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YamlNode node;
    // Mapping state: the events alternate key, value.
    bool expectValue = false;
    bool keyUsable = false;
    std::string key;
    YamlMark keyMark;
    std::unordered_map<std::string, YamlMark> seen;
  };

  void count(const YAML::Mark& mark) {
    if (++nodes_ > limits_.maxNodes) {
      throw StopParse{toMark(mark), "more than " + std::to_string(limits_.maxNodes) + " nodes"};
    }
  }

  void checkAnchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    count(mark);
    if (anchor != YAML::NullAnchor)
      issues_.add(toMark(mark), "", "anchors (&name) are not supported");
  }

  void checkTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag != "?" && tag != "!" && !tag.empty()) {
      issues_.add(toMark(mark), "", "explicit tags (" + yamlQuote(tag) + ") are not supported");
    }
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, YamlKind kind) {
    checkAnchor(mark, anchor);
    checkTag(mark, tag);
    if (static_cast<int>(stack_.size()) >= limits_.maxDepth) {
      throw StopParse{toMark(mark),
                      "nested deeper than " + std::to_string(limits_.maxDepth) + " levels"};
    }
    Frame f;
    f.node.kind = kind;
    f.node.mark = toMark(mark);
    stack_.push_back(std::move(f));
  }

  void close() {
    if (stack_.empty()) return;  // yaml-cpp never does this; be safe anyway
    YamlNode n = std::move(stack_.back().node);
    stack_.pop_back();
    attach(std::move(n));
  }

  void attach(YamlNode n) {
    if (stack_.empty()) {
      root_ = std::move(n);
      return;
    }
    Frame& f = stack_.back();
    if (f.node.kind == YamlKind::Sequence) {
      f.node.items.push_back(std::move(n));
      return;
    }
    if (!f.expectValue) {
      f.expectValue = true;
      f.keyMark = n.mark;
      f.keyUsable = n.kind == YamlKind::Scalar;
      if (f.keyUsable) {
        f.key = std::move(n.scalar);
      } else {
        issues_.add(n.mark, "",
                    "mapping keys must be strings, not " + std::string(yamlKindName(n)));
      }
      return;
    }
    f.expectValue = false;
    if (!f.keyUsable) return;
    auto [it, inserted] = f.seen.emplace(f.key, f.keyMark);
    if (!inserted) {
      issues_.add(f.keyMark, "",
                  "duplicate key " + yamlQuote(f.key) + " (first at line " +
                      std::to_string(it->second.line) + ", column " +
                      std::to_string(it->second.column) + ")");
      return;  // keep the first, so the value used is never silently the later one
    }
    // yaml-cpp places an empty value ("key:" then a newline) at the start of the next line;
    // pointing at the key is what a reader expects.
    if (n.kind == YamlKind::Null && n.mark.line != f.keyMark.line) n.mark = f.keyMark;
    f.node.entries.push_back(YamlEntry{std::move(f.key), f.keyMark, std::move(n)});
    f.key.clear();
  }

  YamlIssues& issues_;
  const YamlLimits& limits_;
  std::vector<Frame> stack_;
  std::optional<YamlNode> root_;
  int documents_ = 0;
  std::size_t nodes_ = 0;
};

// The bytes must be UTF-8 text: yaml-cpp would otherwise guess UTF-16/32 from NULs or pass
// invalid sequences through into strings.
bool checkText(std::string_view text, YamlIssues& issues) {
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = utf8SequenceLength(text, i);
    if (len == 0) {
      issues.add(YamlMark{line, column}, "", "the file is not valid UTF-8");
      return false;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      issues.add(YamlMark{line, column}, "",
                 "control character " + yamlQuote(text.substr(i, 1)) + " is not allowed");
      return false;
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += len;
  }
  return true;
}

// yaml-cpp messages can quote single bytes of the input (a bad escape character); keep the report
// one line of valid UTF-8.
std::string asciiOnly(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

const YamlEntry* YamlNode::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::string_view yamlKindName(const YamlNode& node) {
  switch (node.kind) {
    case YamlKind::Null:
      return "null";
    case YamlKind::Scalar:
      return "a string";
    case YamlKind::Sequence:
      return "a sequence";
    case YamlKind::Mapping:
      return "a mapping";
  }
  return "?";
}

std::optional<YamlNode> parseYaml(std::string_view text, YamlIssues& issues,
                                  const YamlLimits& limits) {
  if (text.size() > limits.maxBytes) {
    issues.add(YamlMark{1, 1}, "",
               "the file is larger than " + std::to_string(limits.maxBytes) + " bytes");
    return std::nullopt;
  }
  if (!checkText(text, issues)) return std::nullopt;

  std::istringstream in{std::string(text)};
  TreeBuilder builder(issues, limits);
  try {
    YAML::Parser parser(in);
    // The second call only looks for a further document, which the builder rejects.
    if (parser.HandleNextDocument(builder)) parser.HandleNextDocument(builder);
  } catch (const StopParse& stop) {
    issues.add(stop.mark, "", stop.message);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    issues.add(toMark(e.mark), "", "YAML syntax error: " + asciiOnly(e.msg));
    return std::nullopt;
  } catch (const std::exception& e) {
    issues.add(YamlMark{1, 1}, "", "cannot parse YAML: " + asciiOnly(e.what()));
    return std::nullopt;
  }
  std::optional<YamlNode> root = builder.takeRoot();
  if (!root) {
    YamlNode empty;  // no document at all: empty text or only comments
    return empty;
  }
  return root;
}

}  // namespace pb
