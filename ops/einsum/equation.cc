#include "ops/einsum/equation.h"

#include "graph/error.h"

namespace wrun::ops::einsum {

namespace {

template <class... A>
[[noreturn]] void node_fail(const graph::Node& n, const A&... a) {
  ::wrun::fail(n.op_type, " '", n.name, "': ", a...);
}

int letter_id(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return 26 + (ch - 'a');
  return -1;
}

// One term ("bij", "...ii"): its letters in order and where the ellipsis sits (-1: none).
struct Term {
  int n = 0;
  uint8_t id[kMaxLabels] = {};
  int ellipsis = -1;
};

Term parse_term(const graph::Node& n, std::string_view t) {
  Term r;
  for (size_t i = 0; i < t.size(); ++i) {
    const char ch = t[i];
    if (ch == ' ') continue;
    if (ch == '.') {
      if (r.ellipsis >= 0 || t.substr(i, 3) != "...")
        node_fail(n, "malformed ellipsis in equation");
      r.ellipsis = r.n;
      i += 2;
      continue;
    }
    const int id = letter_id(ch);
    if (id < 0) node_fail(n, "invalid character '", ch, "' in equation");
    if (r.n >= kMaxLabels) node_fail(n, "too many labels in one term");
    r.id[r.n++] = static_cast<uint8_t>(id);
  }
  return r;
}

}  // namespace

void parse(const graph::Node& n, const int* ranks, int n_in, Spec* s) {
  *s = Spec{};
  s->n_in = n_in;
  if (n_in > kMaxOperands) node_fail(n, "more than ", kMaxOperands, " operands");
  const std::string_view eq = n.attr_s("equation", "");
  const size_t arrow = eq.find("->");
  const std::string_view lhs = eq.substr(0, arrow);
  Term terms[kMaxOperands];
  int count = 0;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    if (count == n_in) node_fail(n, "equation has more terms than the ", n_in, " inputs");
    terms[count++] = parse_term(n, lhs.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (count != n_in) node_fail(n, "equation has ", count, " terms for ", n_in, " inputs");
  // Dims the ellipsis covers in each operand; the widest sets how many labels they take.
  int ell = 0, ell_of[kMaxOperands] = {};
  for (int p = 0; p < n_in; ++p) {
    const Term& t = terms[p];
    const int extra = ranks[p] - t.n;
    if (t.ellipsis < 0 ? extra != 0 : extra < 0)
      node_fail(n, "term ", p, " has ", t.n, " labels for an input of rank ", ranks[p]);
    if (ranks[p] > kMaxRank) node_fail(n, "input ", p, " rank exceeds ", kMaxRank);
    ell_of[p] = t.ellipsis < 0 ? 0 : extra;
    if (ell_of[p] > ell) ell = ell_of[p];
  }
  int uses[kMaxLabels] = {};
  for (int p = 0; p < n_in; ++p) {
    const Term& t = terms[p];
    s->rank[p] = ranks[p];
    int d = 0;
    for (int i = 0; i <= t.n; ++i) {
      if (i == t.ellipsis)
        for (int e = 0; e < ell_of[p]; ++e)
          s->label[p][d++] = static_cast<uint8_t>(kLetters + ell - ell_of[p] + e);
      if (i < t.n) s->label[p][d++] = t.id[i];
    }
    for (int i = 0; i < d; ++i) ++uses[s->label[p][i]];
  }
  bool in_out[kMaxLabels] = {};
  auto add_out = [&](int id) {
    if (s->out_rank >= kMaxRank) node_fail(n, "output rank exceeds ", kMaxRank);
    if (in_out[id]) node_fail(n, "output label repeated");
    if (!uses[id]) node_fail(n, "output label does not appear in any input");
    in_out[id] = true;
    s->out_label[s->out_rank++] = static_cast<uint8_t>(id);
  };
  if (arrow == std::string_view::npos) {
    // Implicit output: the ellipsis dims, then the letters used once, alphabetically.
    for (int e = 0; e < ell; ++e) add_out(kLetters + e);
    for (int id = 0; id < kLetters; ++id)
      if (uses[id] == 1) add_out(id);
  } else {
    const Term t = parse_term(n, eq.substr(arrow + 2));
    for (int i = 0; i <= t.n; ++i) {
      if (i == t.ellipsis)
        for (int e = 0; e < ell; ++e) add_out(kLetters + e);
      if (i < t.n) add_out(t.id[i]);
    }
  }
  for (int id = 0; id < kMaxLabels; ++id)
    if (uses[id] && !in_out[id]) s->sum_label[s->n_sum++] = static_cast<uint8_t>(id);
}

void label_extents(const graph::Node& n, const Spec& s, const SymShape* shapes, Dim* ext) {
  bool set[kMaxLabels] = {};
  for (int p = 0; p < s.n_in; ++p)
    for (int i = 0; i < s.rank[p]; ++i) {
      const int id = s.label[p][i];
      const Dim d = shapes[p].d[i];
      Dim& e = ext[id];
      if (!set[id] || (e.is_known() && e.value == 1)) {
        e = d, set[id] = true;
      } else if (d.is_known() && d.value == 1) {
        continue;
      } else if (d.is_known() && e.is_known() && d.value != e.value) {
        node_fail(n, "input ", p, " dim ", i, " has extent ", d.value, " but the label has ",
                  e.value);
      } else if (d.is_known()) {
        e = d;  // a symbol must equal the known extent
      }
    }
}

}  // namespace wrun::ops::einsum
