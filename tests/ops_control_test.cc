// Tests of the control family: If's inference from its branch graphs, and Loop/Scan being
// registered but refused with a clear message.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "ops/registry.h"

namespace wrun {
namespace {

// A branch graph whose outputs are values with the given dtypes and shapes.
std::shared_ptr<graph::Graph> branch(const std::vector<std::pair<DType, SymShape>>& outs) {
  auto g = std::make_shared<graph::Graph>();
  for (size_t i = 0; i < outs.size(); ++i) {
    const int v = g->add_value("out" + std::to_string(i));
    g->value(v).dtype = outs[i].first;
    g->value(v).shape = outs[i].second;
    g->value(v).is_output = true;
    g->outputs.push_back(v);
  }
  return g;
}

graph::Node if_node(std::shared_ptr<graph::Graph> then_g, std::shared_ptr<graph::Graph> else_g,
                    int n_out) {
  graph::Node n;
  n.op_type = "If";
  n.name = "if0";
  n.inputs = {0};
  for (int i = 0; i < n_out; ++i) n.outputs.push_back(1 + i);
  n.attrs["then_branch"].kind = graph::Attribute::Kind::kGraph;
  n.attrs["then_branch"].g = std::move(then_g);
  n.attrs["else_branch"].kind = graph::Attribute::Kind::kGraph;
  n.attrs["else_branch"].g = std::move(else_g);
  return n;
}

SymShape shape(std::initializer_list<Dim> dims) {
  SymShape s;
  s.rank = 0;
  for (const Dim& d : dims) s.push(d);
  return s;
}

struct IfInfer {
  graph::Model model;
  std::vector<DType> odt;
  std::vector<SymShape> osh;
  void run(const graph::Node& n, DType cond = DType::kBool) {
    std::vector<DType> dts{cond};
    std::vector<SymShape> shapes{SymShape::scalar()};
    std::vector<const TensorView*> vals{nullptr};
    odt.assign(n.outputs.size(), DType::kUndefined);
    osh.assign(n.outputs.size(), SymShape{});
    ops::InferContext ctx(n, 18, dts, shapes, vals, odt, osh, &model);
    const ops::OpSchema* s = ops::Registry::builtin().find("", n.op_type, 18);
    ASSERT_NE(s, nullptr);
    s->infer(ctx);
  }
};

TEST(ControlIf, MergesBranchShapes) {
  IfInfer t;
  const Dim T = Dim::symbol(t.model.symbol("T"));
  auto then_g = branch({{DType::kF32, shape({Dim::known(1), T, Dim::known(4)})},
                        {DType::kI64, shape({Dim::known(2)})},
                        {DType::kF32, shape({Dim::known(3)})}});
  auto else_g = branch({{DType::kF32, shape({Dim::known(1), T, Dim::known(5)})},
                        {DType::kI64, shape({Dim::known(2)})},
                        {DType::kF32, shape({Dim::known(3), Dim::known(1)})}});
  t.run(if_node(then_g, else_g, 3));
  EXPECT_EQ(t.odt[0], DType::kF32);
  ASSERT_EQ(t.osh[0].rank, 3);
  EXPECT_EQ(t.osh[0].d[0], Dim::known(1));
  EXPECT_EQ(t.osh[0].d[1], T);
  EXPECT_FALSE(t.osh[0].d[2].is_known());  // 4 vs 5
  EXPECT_NE(t.osh[0].d[2], T);
  EXPECT_EQ(t.odt[1], DType::kI64);
  EXPECT_EQ(t.osh[1].d[0], Dim::known(2));
  EXPECT_EQ(t.osh[2].rank, -1);  // ranks differ
}

TEST(ControlIf, Errors) {
  IfInfer t;
  auto a = branch({{DType::kF32, shape({Dim::known(1)})}});
  auto b = branch({{DType::kI64, shape({Dim::known(1)})}});
  try {
    t.run(if_node(a, b, 1));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("If 'if0': output 0 is float32"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(t.run(if_node(a, a, 2)), Error);  // output count mismatch
  graph::Node missing = if_node(a, a, 1);
  missing.attrs.erase("else_branch");
  EXPECT_THROW(t.run(missing), Error);
}

TEST(ControlIf, KernelRefusesToRun) {
  const ops::OpSchema* s = ops::Registry::builtin().find("", "If", 13);
  ASSERT_NE(s, nullptr);
  graph::Node n = if_node(branch({}), branch({}), 0);
  ops::RunContext ctx{n, 13, nullptr, {}, {}, nullptr, 0, nullptr};
  try {
    s->kernels[0].run(ctx);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "If is executed by the runtime");
  }
}

TEST(ControlLoopScan, RegisteredButNotSupported) {
  for (const char* op : {"Scan"}) {
    const ops::OpSchema* s = ops::Registry::builtin().find("", op, 16);
    ASSERT_NE(s, nullptr) << op;
    EXPECT_EQ(s->notes, "parsed, not executed");
    graph::Node n;
    n.op_type = op;
    n.name = "l0";
    std::vector<DType> odt(1);
    std::vector<SymShape> osh(1);
    ops::InferContext ctx(n, 16, {}, {}, {}, odt, osh, nullptr);
    try {
      s->infer(ctx);
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string(op) + " 'l0': not supported yet (parsed, not executed)");
    }
  }
}

}  // namespace
}  // namespace wrun
