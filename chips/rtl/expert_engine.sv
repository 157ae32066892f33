// expert_engine: one hardwired expert's SwiGLU FFN in integer arithmetic (moefab chips layer).
//
// Models: int4 weights x int8 activations, int32 accumulation, per-channel requantisation by
// multiplier + shift (round half up, saturate to int8), SiLU by a 256-entry LUT, product
// requant, down projection. The bits are defined by chips/golden_expert.cc.
// Omits: clock gating, power, ROM timing (reads are combinational), back-to-back job overlap.
//
// Load port (one write per cycle, only while idle):
//   load_sel 0: w_gate word  addr = i*DG + k  data[LANES*4-1:0] = lanes k*LANES.. of row i
//   load_sel 1: w_up   word  (same layout)
//   load_sel 2: w_down word  addr = j*IG + k  data = lanes k*LANES.. of row j
//   load_sel 3/4/5: mult_gate[addr] / mult_up[addr] / mult_down[addr]  data[23:0]
//   load_sel 6: silu_lut[addr]  data[7:0]
//   load_sel 7: scalars: addr 0 shift_gate, 1 shift_up, 2 shift_down, 3 mult_prod,
//               4 shift_prod (shifts in data[5:0], mult_prod in data[23:0])
//   Lane l of a word is bits [4l+3:4l] (two's complement int4). Padding lanes must be 0.
//
// Job protocol: DG beats of x in (in_valid/in_ready, byte l of beat k = x[k*LANES+l]), then
// the engine computes, then DG beats of y out (out_valid/out_ready, same layout, padding 0).
// With in_valid and out_ready held high, the job takes, from the first input beat to the last
// output beat inclusive:  DG*(I+2) + D*IG + 3 cycles,  DG = ceil(D/LANES), IG = ceil(I/LANES):
//   DG input beats, I*DG gate/up MAC cycles, 2 requant/SiLU/product drain cycles,
//   D*IG down MAC cycles, 1 requant drain cycle, DG output beats.
module expert_engine #(
    parameter int D = 64,      // d_model (length of x and y)
    parameter int I = 128,     // expert width (rows of w_gate / w_up)
    parameter int LANES = 8,   // MAC lanes per matrix
    localparam int LW = (LANES * 4 > 32) ? LANES * 4 : 32  // load_data width in bits
) (
    input  logic                 clk,
    input  logic                 rst_n,
    // Load port.
    input  logic                 load_en,
    input  logic [2:0]           load_sel,
    // Only the low address bits that index the largest ROM are used, and data bits above
    // max(LANES*4, 24) are unused; both depend on D, I, LANES.
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [31:0]          load_addr,
    input  logic [LW-1:0]        load_data,
    /* verilator lint_on UNUSEDSIGNAL */
    // Activation input stream.
    input  logic                 in_valid,
    output logic                 in_ready,
    input  logic [LANES*8-1:0]   in_data,
    // Result output stream.
    output logic                 out_valid,
    input  logic                 out_ready,
    output logic [LANES*8-1:0]   out_data
);
  localparam int DG = (D + LANES - 1) / LANES;  // lane groups per gate/up row
  localparam int IG = (I + LANES - 1) / LANES;  // lane groups per down row
  localparam int GW = LANES * 4;                // weight word width
  localparam int XW = LANES * 8;                // activation group width
  localparam int NGU = I * DG;                  // words in w_gate / w_up ROM
  localparam int NDN = D * IG;                  // words in w_down ROM

  // ---------------------------------------------------------------- ROMs (loaded once)
  logic [GW-1:0] wg_rom[NGU];
  logic [GW-1:0] wu_rom[NGU];
  logic [GW-1:0] wd_rom[NDN];
  logic [23:0]   mg_rom[I];
  logic [23:0]   mu_rom[I];
  logic [23:0]   md_rom[D];
  logic [7:0]    silu_rom[256];
  logic [5:0]    sh_g, sh_u, sh_d, sh_p;
  logic [23:0]   mult_p;

  always_ff @(posedge clk) begin
    if (load_en) begin
      unique case (load_sel)
        3'd0: wg_rom[load_addr] <= load_data[GW-1:0];
        3'd1: wu_rom[load_addr] <= load_data[GW-1:0];
        3'd2: wd_rom[load_addr] <= load_data[GW-1:0];
        3'd3: mg_rom[load_addr] <= load_data[23:0];
        3'd4: mu_rom[load_addr] <= load_data[23:0];
        3'd5: md_rom[load_addr] <= load_data[23:0];
        3'd6: silu_rom[load_addr[7:0]] <= load_data[7:0];
        default: begin
          unique case (load_addr[2:0])
            3'd0: sh_g <= load_data[5:0];
            3'd1: sh_u <= load_data[5:0];
            3'd2: sh_d <= load_data[5:0];
            3'd3: mult_p <= load_data[23:0];
            default: sh_p <= load_data[5:0];
          endcase
        end
      endcase
    end
  end

  // ---------------------------------------------------------------- helpers
  // SatInt8(RoundShift(p, s)) for s in [1, 40].
  function automatic logic [7:0] requant(input logic signed [63:0] p, input logic [5:0] s);
    logic signed [63:0] r;
    r = (p + (64'sd1 <<< (s - 6'd1))) >>> s;
    if (r < -64'sd128) return 8'h80;
    else if (r > 64'sd127) return 8'h7f;
    else return r[7:0];
  endfunction

  function automatic logic signed [63:0] sext32(input logic [31:0] v);
    return {{32{v[31]}}, v};
  endfunction

  // Sum over lanes of int4 weight x int8 activation.
  function automatic logic [31:0] dot(input logic [GW-1:0] w, input logic [XW-1:0] x);
    logic [31:0] s;
    logic signed [11:0] wl, xl, pr;
    s = 32'd0;
    for (int l = 0; l < LANES; l++) begin
      wl = {{8{w[l*4+3]}}, w[l*4+:4]};
      xl = {{4{x[l*8+7]}}, x[l*8+:8]};
      pr = wl * xl;
      s = s + {{20{pr[11]}}, pr};
    end
    return s;
  endfunction

  // ---------------------------------------------------------------- control
  typedef enum logic [2:0] {
    S_IN = 3'd0,        // accepting x beats (idle when no beat has arrived)
    S_GU = 3'd1,        // gate and up MACs
    S_GU_DRAIN = 3'd2,  // requant / SiLU / product pipeline drains into m_mem
    S_DN = 3'd3,        // down MACs
    S_DN_DRAIN = 3'd4,  // final requant drains into y_mem
    S_OUT = 3'd5        // streaming y beats
  } state_t;

  state_t       state;
  logic [31:0]  cnt;    // beat index (S_IN, S_OUT), drain index
  logic [31:0]  row;    // current output row
  logic [31:0]  grp;    // current lane group within the row
  logic [31:0]  waddr;  // ROM word address (row * groups + grp)
  // Activation buffers, one lane group per word. Padding lanes of m and y are never written:
  // m padding meets zero weights, y padding is ignored by the reader.
  logic [XW-1:0] x_mem[DG];  // x, written by the input stream
  logic [XW-1:0] m_mem[IG];  // m = SwiGLU(x), written by the gate/up requant pipeline
  logic [XW-1:0] y_mem[DG];  // y, read by the output stream
  logic [31:0]  mw_grp, mw_lane;  // next m element to write (group, lane)
  logic [31:0]  yw_grp, yw_lane;  // next y element to write (group, lane)
  logic [31:0]  acc_g, acc_u, acc_d;

  // Gate/up requant stage 1 (g, u) and stage 2 (SiLU, product -> m_mem).
  // rq1_idx / yq_idx are row numbers; only the bits that index the multiplier ROMs are used.
  logic         rq1_valid;
  logic [31:0]  rq1_g, rq1_u;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [31:0]  rq1_idx;
  logic [31:0]  yq_idx;
  /* verilator lint_on UNUSEDSIGNAL */
  logic         rq2_valid;
  logic [7:0]   rq2_g, rq2_u;
  // Down requant stage (-> y_mem).
  logic         yq_valid;
  logic [31:0]  yq_acc;

  // ---------------------------------------------------------------- datapath (combinational)
  logic [XW-1:0] x_grp, m_grp;
  logic [31:0]   acc_g_next, acc_u_next, acc_d_next;
  logic          gu_row_end, dn_row_end;
  logic [7:0]    rq1_gq, rq1_uq, rq2_m, yq_y;
  logic signed [15:0] au;

  // Operand isolation: each MAC array and requant unit only switches in the phase (or the
  // cycle) that uses it; this is also what keeps the Verilated model fast.
  always_comb begin
    x_grp = '0;
    m_grp = '0;
    acc_g_next = acc_g;
    acc_u_next = acc_u;
    acc_d_next = acc_d;
    rq1_gq = 8'd0;
    rq1_uq = 8'd0;
    au = 16'sd0;
    rq2_m = 8'd0;
    yq_y = 8'd0;
    gu_row_end = grp == 32'(DG - 1);
    dn_row_end = grp == 32'(IG - 1);
    if (state == S_GU) begin
      x_grp = x_mem[grp];
      acc_g_next = (grp == 32'd0 ? 32'd0 : acc_g) + dot(wg_rom[waddr], x_grp);
      acc_u_next = (grp == 32'd0 ? 32'd0 : acc_u) + dot(wu_rom[waddr], x_grp);
    end
    if (state == S_DN) begin
      m_grp = m_mem[grp];
      acc_d_next = (grp == 32'd0 ? 32'd0 : acc_d) + dot(wd_rom[waddr], m_grp);
    end
    if (rq1_valid) begin
      rq1_gq = requant(sext32(rq1_g) * {40'd0, mg_rom[rq1_idx]}, sh_g);
      rq1_uq = requant(sext32(rq1_u) * {40'd0, mu_rom[rq1_idx]}, sh_u);
    end
    if (rq2_valid) begin
      au = $signed(silu_rom[rq2_g]) * $signed(rq2_u);
      rq2_m = requant({{48{au[15]}}, au} * {40'd0, mult_p}, sh_p);
    end
    if (yq_valid) yq_y = requant(sext32(yq_acc) * {40'd0, md_rom[yq_idx]}, sh_d);
  end

  assign in_ready = state == S_IN;
  assign out_valid = state == S_OUT;
  assign out_data = y_mem[cnt];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IN;
      cnt <= 32'd0;
      row <= 32'd0;
      grp <= 32'd0;
      waddr <= 32'd0;
      mw_grp <= 32'd0;
      mw_lane <= 32'd0;
      yw_grp <= 32'd0;
      yw_lane <= 32'd0;
      acc_g <= 32'd0;
      acc_u <= 32'd0;
      acc_d <= 32'd0;
      rq1_valid <= 1'b0;
      rq1_g <= 32'd0;
      rq1_u <= 32'd0;
      rq1_idx <= 32'd0;
      rq2_valid <= 1'b0;
      rq2_g <= 8'd0;
      rq2_u <= 8'd0;
      yq_valid <= 1'b0;
      yq_acc <= 32'd0;
      yq_idx <= 32'd0;
    end else begin
      // Requant pipelines run every cycle a row result is present.
      rq1_valid <= 1'b0;
      yq_valid <= 1'b0;
      rq2_valid <= rq1_valid;
      if (rq1_valid) begin
        rq2_g <= rq1_gq;
        rq2_u <= rq1_uq;
      end
      if (rq2_valid) begin
        m_mem[mw_grp][mw_lane*8+:8] <= rq2_m;
        if (mw_lane == 32'(LANES - 1)) begin
          mw_lane <= 32'd0;
          mw_grp <= mw_grp + 32'd1;
        end else begin
          mw_lane <= mw_lane + 32'd1;
        end
      end
      if (yq_valid) begin
        y_mem[yw_grp][yw_lane*8+:8] <= yq_y;
        if (yw_lane == 32'(LANES - 1)) begin
          yw_lane <= 32'd0;
          yw_grp <= yw_grp + 32'd1;
        end else begin
          yw_lane <= yw_lane + 32'd1;
        end
      end

      unique case (state)
        S_IN: begin
          if (in_valid) begin
            x_mem[cnt] <= in_data;
            if (cnt == 32'(DG - 1)) begin
              cnt <= 32'd0;
              row <= 32'd0;
              grp <= 32'd0;
              waddr <= 32'd0;
              mw_grp <= 32'd0;
              mw_lane <= 32'd0;
              state <= S_GU;
            end else begin
              cnt <= cnt + 32'd1;
            end
          end
        end
        S_GU: begin
          acc_g <= acc_g_next;
          acc_u <= acc_u_next;
          waddr <= waddr + 32'd1;
          if (gu_row_end) begin
            grp <= 32'd0;
            rq1_valid <= 1'b1;
            rq1_g <= acc_g_next;
            rq1_u <= acc_u_next;
            rq1_idx <= row;
            row <= row + 32'd1;
            if (row == 32'(I - 1)) state <= S_GU_DRAIN;
          end else begin
            grp <= grp + 32'd1;
          end
        end
        S_GU_DRAIN: begin
          if (cnt == 32'd1) begin
            cnt <= 32'd0;
            row <= 32'd0;
            grp <= 32'd0;
            waddr <= 32'd0;
            yw_grp <= 32'd0;
            yw_lane <= 32'd0;
            state <= S_DN;
          end else begin
            cnt <= cnt + 32'd1;
          end
        end
        S_DN: begin
          acc_d <= acc_d_next;
          waddr <= waddr + 32'd1;
          if (dn_row_end) begin
            grp <= 32'd0;
            yq_valid <= 1'b1;
            yq_acc <= acc_d_next;
            yq_idx <= row;
            row <= row + 32'd1;
            if (row == 32'(D - 1)) state <= S_DN_DRAIN;
          end else begin
            grp <= grp + 32'd1;
          end
        end
        S_DN_DRAIN: begin
          cnt <= 32'd0;
          state <= S_OUT;
        end
        S_OUT: begin
          if (out_ready) begin
            if (cnt == 32'(DG - 1)) begin
              cnt <= 32'd0;
              state <= S_IN;
            end else begin
              cnt <= cnt + 32'd1;
            end
          end
        end
        default: state <= S_IN;
      endcase
    end
  end
endmodule
