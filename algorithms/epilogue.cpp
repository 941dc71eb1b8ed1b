#include "algorithms/epilogue.h"

namespace micronet::gen {

using namespace Halide;

namespace {

std::vector<Expr> args(const std::vector<Expr>& spatial, Expr c, Expr n) {
  std::vector<Expr> a(spatial.begin(), spatial.end());
  a.push_back(std::move(c));
  a.push_back(std::move(n));
  return a;
}

}  // namespace

// (h - 0.5) * act_max * 2 with act_max 2 maps h_sigmoid's [0, 1] to [-2, 2].
void define_shift_max_coefficients(Func z, const std::vector<Expr>& spatial_extent, const Var& n,
                                   const EpilogueInputs& in, const EpilogueParams& p,
                                   EpilogueStages* s) {
  Var c("c"), sq("sq"), j("j");
  Region bounds;
  Expr count = 1;
  for (const Expr& e : spatial_extent) {
    bounds.emplace_back(0, e);
    count = count * e;
  }
  s->pool_r = RDom(bounds, "pool_r");
  std::vector<Expr> pr;
  for (int d = 0; d < s->pool_r.dimensions(); ++d) pr.push_back(s->pool_r[d]);
  pr.push_back(c);
  pr.push_back(n);
  s->pooled = Func("pooled");
  s->pooled(c, n) = 0.0f;
  s->pooled(c, n) += z(pr);
  Func mean("mean");
  mean(c, n) = s->pooled(c, n) / cast<float>(count);

  s->fc1_r = RDom(0, p.channels, "fc1_r");
  s->hidden = Func("hidden");
  s->hidden(sq, n) = in.fc1_b(sq);
  s->hidden(sq, n) += in.fc1_w(s->fc1_r, sq) * mean(s->fc1_r, n);
  Func hidden_relu("hidden_relu");
  hidden_relu(sq, n) = max(s->hidden(sq, n), 0.0f);

  s->fc2_r = RDom(0, p.squeeze, "fc2_r");
  s->fc2 = Func("fc2");
  s->fc2(j, n) = in.fc2_b(j);
  s->fc2(j, n) += in.fc2_w(j, s->fc2_r) * hidden_relu(s->fc2_r, n);
  s->coef = Func("coef");
  s->coef(j, n) = (h_sigmoid(s->fc2(j, n)) - 0.5f) * 4.0f + in.coef_offset(j);
}

Expr epilogue_value(const Expr& z_own, const std::function<Expr(const Expr&)>& z_at,
                    const std::vector<Expr>& spatial, const Expr& c, const Expr& n,
                    const EpilogueInputs& in, const EpilogueParams& p, const EpilogueStages& s) {
  // Logical conv-output channel that output plane c holds.
  const bool own = !p.select_output;
  Expr lc = own ? c : clamp(in.out_select(c), 0, p.channels - 1);
  Expr value;
  if (p.act == kActShiftMax) {
    // out = max over k of sum over j of x[perm_j(c)] * coef[(k*J + j)*C + c]
    for (int k = 0; k < p.K; ++k) {
      Expr fused = 0.0f;
      for (int jj = 0; jj < p.J; ++jj) {
        Expr x = jj == 0 && own ? z_own : z_at(jj == 0 ? lc : clamp(in.shift_perm(lc, jj), 0, p.channels - 1));
        fused = fused + x * s.coef((k * p.J + jj) * p.channels + lc, n);
      }
      value = k == 0 ? fused : max(value, fused);
    }
  } else {
    value = own ? z_own : z_at(lc);
    if (p.act == kActReLU6) value = relu6(value);
  }
  if (p.residual) value = value + in.residual(args(spatial, clamp(in.res_map(c), 0, p.channels - 1), n));
  return value;
}

void define_epilogue(Func out, Func z, const std::vector<Var>& spatial, const Var& c, const Var& n,
                     const std::vector<Expr>& spatial_extent, const EpilogueInputs& in,
                     const EpilogueParams& p, EpilogueStages* stages) {
  if (p.act == kActShiftMax) define_shift_max_coefficients(z, spatial_extent, n, in, p, stages);
  const std::vector<Expr> sp(spatial.begin(), spatial.end());
  out(args(sp, c, n)) = epilogue_value(
      z(args(sp, c, n)), [&](const Expr& ch) { return z(args(sp, ch, n)); }, sp, c, n, in, p, *stages);
}

}  // namespace micronet::gen
