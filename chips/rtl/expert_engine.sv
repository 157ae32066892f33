// expert_engine: one hardwired expert slot's FFN (SwiGLU or gpt-oss clamped SwiGLU) in integer
// arithmetic, as specified bit for bit by chips/numerics/NUMERICS.md (the golden C++ in
// chips/numerics/golden_expert.h defines the bits; this RTL must match them).
//
// Models: INT4 / INT3 / MXFP4 (E2M1 codes, per-32 E8M0 block exponents aligned with G = 6 guard
// bits) weights x int8 activations, int32 accumulation, per-channel bias + multiplier + shift
// requantisation with the per-token exponent e, an activation LUT with u clamp / offset, the
// product requant, the down projection to int16, and a two-stage job pipeline.
// Omits: clock gating, power, ROM timing (reads are combinational), output back-pressure (the
// engine never stalls once a job is accepted; the chip's egress is modelled in C++), the
// hardwired-constant style (weights go in through the load port, so one build serves any
// weights of its shape and format).
//
// Parameters: D (d_model), I (expert width), LANES (MACs per matrix per cycle), FORMAT (0 INT4,
// 1 INT3, 2 MXFP4; MXFP4 needs LANES dividing 32 or a multiple of 32), DATAPATH (0 MAC lanes: one
// multiplier per lane; 1 product-select: every input element is multiplied once by every weight
// value of the format and each weight position picks its product with a mux; 2 block library:
// every block of 4 consecutive weights is served by its library entry, the block's weights
// sorted (INT3 / INT4 by value, MXFP4 by magnitude with a sign per position), through an input
// permutation; LANES 4 or 8). All datapaths give the same bits in the same cycles.
//
// Load port (one write per cycle while no job is in flight). DG = ceil(D/LANES),
// IG = ceil(I/LANES), WB = 3 for INT3 else 4. Lane l of a weight word is bits [WB*l +: WB]
// (two's complement INT4 / INT3, or the E2M1 code); padding lanes must be 0.
//   sel 0 / 1: gate / up weight word, addr = r*DG + k: columns k*LANES .. of row r
//   sel 2:     down weight word,      addr = j*IG + k: columns k*LANES .. of row j
//              Block library: the word holds LANES/4 block words of BWB bits instead (block b
//              at [BWB*b +: BWB]): [EB-1:0] library entry, [EB + 2i +: 2] the lane of the block
//              whose input meets sorted position i, MXFP4 [EB + 8 + i] the sign of position i
//              (EB = 12 INT4, 9 INT3 / MXFP4; chips/numerics/block_library.h)
//   sel 11:    block library: entry addr, position i's code at [WB*i +: WB] (MXFP4 magnitude)
//   sel 3 / 4 / 5 (MXFP4): alignment shifts of the gate / up / down word at the same address:
//              5 bits per 32-column block in the word (LANES >= 32: LANES/32 blocks, block b
//              at [5b +: 5]; LANES < 32: the block holding the word, at [4:0]), each
//              min(Emax_r - E[r][b], 24) (24: the block contributes 0)
//   sel 6 / 7 / 8: gate[r] / up[r] / down[j] channel word: [23:0] mult, [29:24] shift,
//              [63:32] bias (int32, accumulator units at e = 0)
//   sel 9:     act_lut[addr[7:0]] = data[7:0]
//   sel 10:    scalars: addr 0 u_clamp [8:0], 1 u_offset [8:0] (two's complement),
//              2 mult_prod [23:0], 3 shift_prod [5:0]
//
// Job protocol (out_ready does not exist: output is never stalled). A job is DG beats of x
// (byte l of beat k = x[k*LANES + l], zero beyond D) and e on in_e with the first beat. The
// first beat is accepted when in_valid && in_ready; beats 1 .. DG-1 must follow on the next
// DG-1 cycles (in_ready stays high for them). in_ready for a new job rises exactly
// II = max(I*DG, D*IG) cycles after the previous acceptance (or at once when idle), so a job
// whose in_valid rises at cycle a starts at s = max(a, previous s + II). Output: DG beats of y
// (int16 lane l of beat k = y[k*LANES + l] at [16l +: 16], padding lanes undefined), each
// valid for one cycle; the last one at cycle s + L, L = I*DG + D*IG + 4.
//   Stage A (cycles s .. s + I*DG + 2): x beats in; gate/up MACs row by row, row r group k at
//     cycle s + 1 + r*DG + k (the input stream runs one beat ahead); requant 1 (bias, mult,
//     shift - e: g, u) and requant 2 (act LUT, u clamp + offset, product: m) one cycle each;
//     m goes to the m bank of this job (double-buffered by job parity).
//   Stage B (from b = s + I*DG + 3): down MACs, row j group k at cycle b + j*IG + k; requant
//     (bias, mult, shift: int16) the next cycle; a y beat leaves the cycle after its last row.
// Jobs overlap: job k+1's stage A runs during job k's stage B. II covers the MAC arrays of
// both stages; the requant pipes carry their row's e and m bank, so nothing stalls.
module expert_engine #(
    parameter int D = 64,        // d_model (length of x and y)
    parameter int I = 128,       // expert width (rows of gate / up)
    parameter int LANES = 8,     // MAC lanes per matrix
    parameter int FORMAT = 0,    // 0 INT4, 1 INT3, 2 MXFP4
    parameter int DATAPATH = 0   // 0 MAC lanes, 1 product-select, 2 block library
) (
    input  logic                 clk,
    input  logic                 rst_n,
    // Load port. Only the low address bits that index the largest ROM are used, and data
    // bits above the widest ROM word are unused; both depend on the parameters.
    input  logic                 load_en,
    input  logic [3:0]           load_sel,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [31:0]          load_addr,
    input  logic [((LANES * 4 > 64) ? LANES * 4 : 64)-1:0] load_data,
    /* verilator lint_on UNUSEDSIGNAL */
    // Job input stream.
    input  logic                 in_valid,
    output logic                 in_ready,
    input  logic [LANES*8-1:0]   in_data,
    input  logic [3:0]           in_e,
    // Result output stream.
    output logic                 out_valid,
    output logic [LANES*16-1:0]  out_data
);
  localparam int WB = (FORMAT == 1) ? 3 : 4;          // weight bits
  localparam int DG = (D + LANES - 1) / LANES;        // lane groups per gate/up row (x beats)
  localparam int IG = (I + LANES - 1) / LANES;        // lane groups per down row
  localparam int GW = LANES * WB;                     // weight word width
  localparam int XW = LANES * 8;                      // activation group width
  localparam int YW = LANES * 16;                     // output beat width
  localparam int NGU = I * DG;                        // words in the gate / up ROMs
  localparam int NDN = D * IG;                        // words in the down ROM
  localparam bit MX = FORMAT == 2;
  localparam int SEGL = (MX && LANES > 32) ? 32 : LANES;  // lanes per block segment
  localparam int NSEG = LANES / SEGL;                 // block segments per word
  // The MAC arrays are described chunk by chunk (CH lanes each) so that wide lane counts
  // Verilate into a compact loop over chunks around unrolled lanes (see nch_rt).
  localparam int CH = (LANES <= 64) ? LANES : ((LANES % 64 == 0) ? 64 : SEGL);
  localparam int NCH = LANES / CH;                    // chunks per word
  localparam int SEGC = (MX && LANES > 32) ? 32 : CH;  // lanes per segment within a chunk
  localparam int NSC = CH / SEGC;                     // block segments per chunk
  localparam int GPB = (MX && LANES < 32) ? 32 / LANES : 1;  // words per block
  localparam int SW = 5 * NSEG;                       // alignment-shift word width
  localparam int NXG = MX ? NGU : 1;                  // shift ROM sizes (1 when unused)
  localparam int NXD = MX ? NDN : 1;
  localparam int II = (I * DG > D * IG) ? I * DG : D * IG;  // initiation interval
  // Block library (DATAPATH 2): blocks of 4 weights, entries of the sorted codes.
  localparam bit BL = DATAPATH == 2;
  localparam int EB = (FORMAT == 0) ? 12 : 9;         // entry index bits (3876 / 330 entries)
  localparam int BWB = EB + 8 + (MX ? 4 : 0);         // block word: entry, 4 lane selects, signs
  localparam int NBL = BL ? LANES / 4 : 1;            // blocks per word
  localparam int IWW = NBL * BWB;                     // index word width
  localparam int WW = BL ? IWW : GW;                  // weight ROM word width
  localparam int LW = 4 * WB;                         // library entry width
  localparam int NLIB = BL ? ((FORMAT == 0) ? 3876 : 330) : 1;  // library depth (the bound)
  localparam int LIBA = BL ? EB : 1;                  // library address width

  // ---------------------------------------------------------------- ROMs (loaded once)
  logic [WW-1:0] wg_rom[0:NGU-1];
  logic [WW-1:0] wu_rom[0:NGU-1];
  logic [WW-1:0] wd_rom[0:NDN-1];
  logic [LW-1:0] lib_rom[0:NLIB-1];
  logic [SW-1:0] xg_rom[0:NXG-1];
  logic [SW-1:0] xu_rom[0:NXG-1];
  logic [SW-1:0] xd_rom[0:NXD-1];
  logic [63:0]   cg_rom[0:I-1];
  logic [63:0]   cu_rom[0:I-1];
  logic [63:0]   cd_rom[0:D-1];
  logic [7:0]    act_rom[0:255];
  logic [8:0]    u_clamp;
  logic [8:0]    u_offset;
  logic [23:0]   mult_p;
  logic [5:0]    shift_p;

  always_ff @(posedge clk) begin
    if (load_en) begin
      case (load_sel)
        4'd0: wg_rom[load_addr] <= load_data[WW-1:0];
        4'd1: wu_rom[load_addr] <= load_data[WW-1:0];
        4'd2: wd_rom[load_addr] <= load_data[WW-1:0];
        4'd11: if (BL) lib_rom[load_addr] <= load_data[LW-1:0];
        4'd3: if (MX) xg_rom[load_addr] <= load_data[SW-1:0];
        4'd4: if (MX) xu_rom[load_addr] <= load_data[SW-1:0];
        4'd5: if (MX) xd_rom[load_addr] <= load_data[SW-1:0];
        4'd6: cg_rom[load_addr] <= load_data[63:0];
        4'd7: cu_rom[load_addr] <= load_data[63:0];
        4'd8: cd_rom[load_addr] <= load_data[63:0];
        4'd9: act_rom[load_addr[7:0]] <= load_data[7:0];
        default: begin
          case (load_addr[1:0])
            2'd0: u_clamp <= load_data[8:0];
            2'd1: u_offset <= load_data[8:0];
            2'd2: mult_p <= load_data[23:0];
            default: shift_p <= load_data[5:0];
          endcase
        end
      endcase
    end
  end

  // ---------------------------------------------------------------- arithmetic helpers
  // RoundShift of NUMERICS.md: (v + 2^(s-1)) >> s, arithmetic; identity for s = 0.
  function automatic logic signed [63:0] rs64(input logic signed [63:0] v, input logic [5:0] s);
    if (s == 6'd0) rs64 = v;
    else rs64 = (v + (64'sd1 <<< (s - 6'd1))) >>> s;
  endfunction

  function automatic logic [7:0] sat8(input logic signed [63:0] v);
    if (v < -64'sd128) sat8 = 8'h80;
    else if (v > 64'sd127) sat8 = 8'h7f;
    else sat8 = v[7:0];
  endfunction

  function automatic logic [15:0] sat16(input logic signed [63:0] v);
    if (v < -64'sd32768) sat16 = 16'h8000;
    else if (v > 64'sd32767) sat16 = 16'h7fff;
    else sat16 = v[15:0];
  endfunction

  // MXFP4 block alignment: RoundShift(p * 2^6, s), 0 for s >= 24 (|p * 2^6| < 2^22).
  function automatic logic signed [31:0] mx_align(input logic signed [31:0] p,
                                                  input logic [4:0] s);
    logic signed [63:0] v;
    v = 64'(p) <<< 6;
    if (s >= 5'd24) mx_align = 32'sd0;
    else mx_align = 32'(rs64(v, {1'b0, s}));
  endfunction

  // MAC datapath: the weight value of a code (INT4 / INT3 two's complement, MXFP4 val2).
  function automatic logic signed [4:0] wval(input logic [3:0] c);
    logic signed [4:0] mag;
    if (FORMAT == 2) begin
      case (c[2:0])
        3'd0: mag = 5'sd0;
        3'd1: mag = 5'sd1;
        3'd2: mag = 5'sd2;
        3'd3: mag = 5'sd3;
        3'd4: mag = 5'sd4;
        3'd5: mag = 5'sd6;
        3'd6: mag = 5'sd8;
        default: mag = 5'sd12;
      endcase
      wval = c[3] ? -mag : mag;
    end else if (FORMAT == 1) begin
      wval = {{2{c[2]}}, c[2:0]};
    end else begin
      wval = {c[3], c};
    end
  endfunction

  // Product-select datapath: the products of one input element x with every weight value of
  // the format, computed once per element (shift-and-add), and the mux that picks one by code.
  // INT4 needs x*{1..8} and their negatives; INT3 x*{1..4}; MXFP4 the magnitudes
  // x*{1,2,3,4,6,8,12} and a sign.
  function automatic logic signed [31:0] pick(
      input logic [3:0] c, input logic signed [31:0] p1, p2, p3, p4, p5, p6, p7, p8, p12,
      n1, n2, n3, n4, n5, n6, n7, n8);
    logic signed [31:0] mag;
    if (FORMAT == 2) begin
      case (c[2:0])
        3'd0: mag = 32'sd0;
        3'd1: mag = p1;
        3'd2: mag = p2;
        3'd3: mag = p3;
        3'd4: mag = p4;
        3'd5: mag = p6;
        3'd6: mag = p8;
        default: mag = p12;
      endcase
      pick = c[3] ? -mag : mag;
    end else if (FORMAT == 1) begin
      case (c[2:0])
        3'd0: pick = 32'sd0;
        3'd1: pick = p1;
        3'd2: pick = p2;
        3'd3: pick = p3;
        3'd4: pick = n4;
        3'd5: pick = n3;
        3'd6: pick = n2;
        default: pick = n1;
      endcase
    end else begin
      case (c)
        4'd0: pick = 32'sd0;
        4'd1: pick = p1;
        4'd2: pick = p2;
        4'd3: pick = p3;
        4'd4: pick = p4;
        4'd5: pick = p5;
        4'd6: pick = p6;
        4'd7: pick = p7;
        4'd8: pick = n8;
        4'd9: pick = n7;
        4'd10: pick = n6;
        4'd11: pick = n5;
        4'd12: pick = n4;
        4'd13: pick = n3;
        4'd14: pick = n2;
        default: pick = n1;
      endcase
    end
  endfunction

  // ---------------------------------------------------------------- job acceptance and input
  logic [31:0]   gap;        // cycles until a new job may be accepted (0: may accept)
  logic          in_busy;    // beats 1 .. DG-1 of the accepted job are streaming in
  logic [31:0]   in_cnt;     // next beat index while in_busy
  logic          job_par;    // m bank of the next job (toggles per job)
  logic [XW-1:0] x_mem[0:DG-1];  // x, one lane group per word
  logic          accept;

  assign in_ready = (gap == 32'd0) || in_busy;
  assign accept = in_valid && gap == 32'd0 && !in_busy;

  // ---------------------------------------------------------------- stage A state
  logic        a_mac;        // gate/up MAC arrays busy
  logic [31:0] a_row, a_grp, a_waddr, a_bpos;  // row, lane group, ROM word, group in block
  logic [31:0] a_mgrp, a_mlane;  // where row a_row's m goes: m group, lane
  logic        a_bank;
  logic [3:0]  a_e;
  logic signed [31:0] acc_g, acc_u;  // row accumulators
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [31:0] pb_g, pb_u;    // MXFP4, LANES < 32: block partial sums
  /* verilator lint_on UNUSEDSIGNAL */
  // requant 1 (g, u)
  logic        r1_valid, r1_bank, r1_last;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [31:0] r1_row, r1_mgrp, r1_mlane;  // only the bits that index the ROMs / m are used
  /* verilator lint_on UNUSEDSIGNAL */
  logic [3:0]  r1_e;
  logic signed [31:0] r1_acc_g, r1_acc_u;
  // requant 2 (act, product -> m)
  logic        r2_valid, r2_bank, r2_last;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [31:0] r2_mgrp, r2_mlane;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [7:0]  r2_g, r2_u;
  logic [XW-1:0] m_stage;            // m group being assembled
  logic [XW-1:0] m_mem[0:2*IG-1];    // m banks: word {group, bank}

  // ---------------------------------------------------------------- stage B state
  logic        b_mac;
  logic [31:0] b_row, b_grp, b_waddr, b_bpos, b_lane;
  logic        b_bank;
  logic signed [31:0] acc_d;
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [31:0] pb_d;
  /* verilator lint_on UNUSEDSIGNAL */
  logic        y_valid, y_flush;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [31:0] y_row, y_lane;
  /* verilator lint_on UNUSEDSIGNAL */
  logic signed [31:0] y_acc;
  logic [YW-1:0] y_stage;            // y group being assembled
  logic [YW-1:0] out_reg;
  logic          out_v;

  assign out_valid = out_v;
  assign out_data = out_reg;

  // ---------------------------------------------------------------- MAC arrays
  // Simulation speed only: Verilator unrolls every loop with a constant bound, which for wide
  // lane counts (> 64) makes huge C++ that compiles for tens of minutes. Under Verilator the
  // chunk loop's bound is a register it cannot fold (always NCH after reset), so the chunk
  // loop stays a C++ loop around the unrolled lanes of one chunk. Synthesis sees NCH.
`ifdef VERILATOR
  logic [31:0] nch_rt;  // == NCH after reset
  always_ff @(posedge clk) nch_rt <= 32'(NCH);
`define EE_NCH_BOUND ((NCH == 1) ? 1 : int'(nch_rt))
`else
`define EE_NCH_BOUND NCH
`endif

  // Products of one input element with the lane's weight code, for both datapaths. The
  // product-select table (p*, n*) is built once per element and shared by gate and up.
  // dot2: gate and up words against one x word; dot1: one down word against one m word. Each
  // returns the word's contribution: the plain sum of its lanes, or for MXFP4 with
  // LANES >= 32 the sum of its aligned 32-lane blocks (LANES < 32: the raw block partial sum).
  function automatic logic [63:0] dot2(input logic [XW-1:0] xw, input logic [GW-1:0] gw, uw,
                                       input logic [SW-1:0] gs, us);
    logic [8*CH-1:0] xc;
    logic [WB*CH-1:0] gc, uc;
    logic [3:0] cg, cu;
    logic signed [31:0] xl, pg, pu;
    logic signed [31:0] p2, p3, p4, p5, p6, p7, p8, p12, n1, n2, n3, n4, n5, n6, n7, n8;
    logic signed [31:0] sg, su, cg_sum, cu_sum;
    cg_sum = 32'sd0;
    cu_sum = 32'sd0;
    for (int c = 0; c < `EE_NCH_BOUND; c++) begin
      xc = xw[8*CH*c +: 8*CH];
      gc = gw[WB*CH*c +: WB*CH];
      uc = uw[WB*CH*c +: WB*CH];
      for (int s = 0; s < NSC; s++) begin
        sg = 32'sd0;
        su = 32'sd0;
        for (int l = s * SEGC; l < (s + 1) * SEGC; l++) begin
          xl = 32'($signed(xc[8*l +: 8]));
          cg = 4'(gc[WB*l +: WB]);
          cu = 4'(uc[WB*l +: WB]);
          if (DATAPATH == 0 && FORMAT == 0) begin
            pg = 32'($signed(gc[4*l +: 4])) * xl;
            pu = 32'($signed(uc[4*l +: 4])) * xl;
          end else if (DATAPATH == 0 && FORMAT == 1) begin
            pg = 32'($signed(gc[3*l +: 3])) * xl;
            pu = 32'($signed(uc[3*l +: 3])) * xl;
          end else if (DATAPATH == 0) begin
            pg = 32'(wval(cg)) * xl;
            pu = 32'(wval(cu)) * xl;
          end else begin
            p2 = xl <<< 1;
            p3 = p2 + xl;
            p4 = xl <<< 2;
            p5 = p4 + xl;
            p6 = p3 <<< 1;
            p8 = xl <<< 3;
            p7 = p8 - xl;
            p12 = p6 <<< 1;
            n1 = -xl;
            n2 = -p2;
            n3 = -p3;
            n4 = -p4;
            n5 = -p5;
            n6 = -p6;
            n7 = -p7;
            n8 = -p8;
            pg = pick(cg, xl, p2, p3, p4, p5, p6, p7, p8, p12, n1, n2, n3, n4, n5, n6, n7, n8);
            pu = pick(cu, xl, p2, p3, p4, p5, p6, p7, p8, p12, n1, n2, n3, n4, n5, n6, n7, n8);
          end
          sg = sg + pg;
          su = su + pu;
        end
        if (MX && LANES >= 32) begin
          cg_sum = cg_sum + mx_align(sg, gs[5*(c*NSC + s) +: 5]);
          cu_sum = cu_sum + mx_align(su, us[5*(c*NSC + s) +: 5]);
        end else begin
          cg_sum = cg_sum + sg;
          cu_sum = cu_sum + su;
        end
      end
    end
    dot2 = {cu_sum, cg_sum};
  endfunction

  function automatic logic [31:0] dot1(input logic [XW-1:0] mw, input logic [GW-1:0] dw,
                                       input logic [SW-1:0] ds);
    logic [8*CH-1:0] mc;
    logic [WB*CH-1:0] dc;
    logic [3:0] cd;
    logic signed [31:0] ml, pd;
    logic signed [31:0] p2, p3, p4, p5, p6, p7, p8, p12, n1, n2, n3, n4, n5, n6, n7, n8;
    logic signed [31:0] sd, cd_sum;
    cd_sum = 32'sd0;
    for (int c = 0; c < `EE_NCH_BOUND; c++) begin
      mc = mw[8*CH*c +: 8*CH];
      dc = dw[WB*CH*c +: WB*CH];
      for (int s = 0; s < NSC; s++) begin
        sd = 32'sd0;
        for (int l = s * SEGC; l < (s + 1) * SEGC; l++) begin
          ml = 32'($signed(mc[8*l +: 8]));
          cd = 4'(dc[WB*l +: WB]);
          if (DATAPATH == 0 && FORMAT == 0) begin
            pd = 32'($signed(dc[4*l +: 4])) * ml;
          end else if (DATAPATH == 0 && FORMAT == 1) begin
            pd = 32'($signed(dc[3*l +: 3])) * ml;
          end else if (DATAPATH == 0) begin
            pd = 32'(wval(cd)) * ml;
          end else begin
            p2 = ml <<< 1;
            p3 = p2 + ml;
            p4 = ml <<< 2;
            p5 = p4 + ml;
            p6 = p3 <<< 1;
            p8 = ml <<< 3;
            p7 = p8 - ml;
            p12 = p6 <<< 1;
            n1 = -ml;
            n2 = -p2;
            n3 = -p3;
            n4 = -p4;
            n5 = -p5;
            n6 = -p6;
            n7 = -p7;
            n8 = -p8;
            pd = pick(cd, ml, p2, p3, p4, p5, p6, p7, p8, p12, n1, n2, n3, n4, n5, n6, n7, n8);
          end
          sd = sd + pd;
        end
        if (MX && LANES >= 32) cd_sum = cd_sum + mx_align(sd, ds[5*(c*NSC + s) +: 5]);
        else cd_sum = cd_sum + sd;
      end
    end
    dot1 = cd_sum;
  endfunction

  // Block-library datapath: one word's contribution (the plain sum of its lanes, LANES < 32).
  // Block b's library entry `le` holds its weights sorted; position i's weight meets the input
  // of lane sel_i of the block (the permutation network: a 4:1 mux per position), with its
  // sign for MXFP4 (the entry holds magnitudes).
  function automatic logic signed [31:0] bdot(input logic [XW-1:0] xw, input logic [IWW-1:0] iw,
                                              input logic [NBL*LW-1:0] le);
    logic [BWB-1:0] bw;
    logic [1:0] sel;
    logic [3:0] c;
    logic signed [31:0] xl, sum;
    sum = 32'sd0;
    for (int b = 0; b < NBL; b++) begin
      bw = iw[BWB*b +: BWB];
      for (int i = 0; i < 4; i++) begin
        sel = bw[EB + 2*i +: 2];
        xl = 32'($signed(xw[8*(4*b + 32'(sel)) +: 8]));
        c = 4'(le[LW*b + WB*i +: WB]);
        if (MX) c[3] = bw[EB + 8 + i];
        sum = sum + 32'(wval(c)) * xl;
      end
    end
    bdot = sum;
  endfunction


  // ---------------------------------------------------------------- stage A requant (comb)
  logic [7:0] r1_gq, r1_uq, r2_m;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0] r1_cw, y_cw;  // channel words (bits 31:30 unused)
  /* verilator lint_on UNUSEDSIGNAL */
  logic [5:0] r1_sh;
  logic signed [63:0] r1_t, r2_t, y_t;
  logic signed [9:0] r2_uv, r2_ucl, r2_uc;
  logic signed [15:0] r2_au;
  always_comb begin : stage_a_requant
    r1_cw = 64'd0;
    r1_sh = 6'd0;
    r1_t = 64'sd0;
    r2_t = 64'sd0;
    r2_uv = 10'sd0;
    r2_ucl = 10'sd0;
    r2_uc = 10'sd0;
    r2_au = 16'sd0;
    r1_gq = 8'd0;
    r1_uq = 8'd0;
    r2_m = 8'd0;
    if (r1_valid) begin
      r1_cw = cg_rom[r1_row];
      r1_sh = r1_cw[29:24] - {2'b0, r1_e};
      r1_t = (64'(r1_acc_g) + rs64(64'($signed(r1_cw[63:32])), {2'b0, r1_e}))
          * $signed({40'd0, r1_cw[23:0]});
      r1_gq = sat8(rs64(r1_t, r1_sh));
      r1_cw = cu_rom[r1_row];
      r1_sh = r1_cw[29:24] - {2'b0, r1_e};
      r1_t = (64'(r1_acc_u) + rs64(64'($signed(r1_cw[63:32])), {2'b0, r1_e}))
          * $signed({40'd0, r1_cw[23:0]});
      r1_uq = sat8(rs64(r1_t, r1_sh));
    end
    if (r2_valid) begin
      r2_uv = 10'($signed(r2_u));
      r2_ucl = $signed({1'b0, u_clamp});
      r2_uc = (r2_uv > r2_ucl) ? r2_ucl : ((r2_uv < -r2_ucl) ? -r2_ucl : r2_uv);
      r2_uc = r2_uc + 10'($signed(u_offset));
      r2_au = 16'($signed(act_rom[r2_g]) * r2_uc);
      r2_t = 64'(r2_au) * $signed({40'd0, mult_p});
      r2_m = sat8(rs64(r2_t, shift_p));
    end
  end

  // ---------------------------------------------------------------- stage B requant (comb)
  logic [15:0] y_q;
  always_comb begin : stage_b_requant
    y_cw = 64'd0;
    y_t = 64'sd0;
    y_q = 16'd0;
    if (y_valid) begin
      y_cw = cd_rom[y_row];
      y_t = (64'(y_acc) + 64'($signed(y_cw[63:32]))) * $signed({40'd0, y_cw[23:0]});
      y_q = sat16(rs64(y_t, y_cw[29:24]));
    end
  end

  // ---------------------------------------------------------------- sequential
  // The MAC arrays are evaluated inside the clocked block, only in the cycles their stage is
  // busy (operand isolation; it also keeps the Verilated model free of per-cycle work in idle
  // units and lets Verilator keep the lane temporaries in registers).
  always_ff @(posedge clk) begin
    logic signed [31:0] acc_g_next, acc_u_next, pb_g_next, pb_u_next, cg_sum, cu_sum;
    logic signed [31:0] acc_d_next, pb_d_next, cd_sum;
    logic [SW-1:0] a_gs, a_us, b_ds;
    logic [WW-1:0] a_gw, a_uw, b_dw;           // weight words (block library: index words)
    logic [NBL*LW-1:0] a_gl, a_ul, b_dl;       // block library: the words' library entries
    logic [IWW-1:0] a_gi, a_ui, b_di;          // block library: the index words
    logic a_row_end, a_blk_end, b_row_end, b_blk_end;
    logic [XW-1:0] ms;
    logic [YW-1:0] ys;
    if (!rst_n) begin
      gap <= 32'd0;
      in_busy <= 1'b0;
      in_cnt <= 32'd0;
      job_par <= 1'b0;
      a_mac <= 1'b0;
      a_row <= 32'd0;
      a_grp <= 32'd0;
      a_waddr <= 32'd0;
      a_bpos <= 32'd0;
      a_mgrp <= 32'd0;
      a_mlane <= 32'd0;
      a_bank <= 1'b0;
      a_e <= 4'd0;
      acc_g <= 32'sd0;
      acc_u <= 32'sd0;
      pb_g <= 32'sd0;
      pb_u <= 32'sd0;
      r1_valid <= 1'b0;
      r1_bank <= 1'b0;
      r1_last <= 1'b0;
      r1_row <= 32'd0;
      r1_mgrp <= 32'd0;
      r1_mlane <= 32'd0;
      r1_e <= 4'd0;
      r1_acc_g <= 32'sd0;
      r1_acc_u <= 32'sd0;
      r2_valid <= 1'b0;
      r2_bank <= 1'b0;
      r2_last <= 1'b0;
      r2_mgrp <= 32'd0;
      r2_mlane <= 32'd0;
      r2_g <= 8'd0;
      r2_u <= 8'd0;
      m_stage <= '0;
      b_mac <= 1'b0;
      b_row <= 32'd0;
      b_grp <= 32'd0;
      b_waddr <= 32'd0;
      b_bpos <= 32'd0;
      b_lane <= 32'd0;
      b_bank <= 1'b0;
      acc_d <= 32'sd0;
      pb_d <= 32'sd0;
      y_valid <= 1'b0;
      y_flush <= 1'b0;
      y_row <= 32'd0;
      y_lane <= 32'd0;
      y_acc <= 32'sd0;
      y_stage <= '0;
      out_reg <= '0;
      out_v <= 1'b0;
    end else begin
      // ---- input beats
      if (gap != 32'd0) gap <= gap - 32'd1;
      if (in_busy) begin
        x_mem[in_cnt] <= in_data;
        if (in_cnt == 32'(DG - 1)) in_busy <= 1'b0;
        in_cnt <= in_cnt + 32'd1;
      end

      // ---- stage A MACs
      r1_valid <= 1'b0;
      if (a_mac) begin
        a_row_end = a_grp == 32'(DG - 1);
        a_blk_end = a_row_end || a_bpos == 32'(GPB - 1);
        a_gs = '0;
        a_us = '0;
        if (MX) begin
          a_gs = xg_rom[a_waddr];
          a_us = xu_rom[a_waddr];
        end
        a_gw = wg_rom[a_waddr];
        a_uw = wu_rom[a_waddr];
        a_gi = IWW'(a_gw);
        a_ui = IWW'(a_uw);
        if (BL) begin
          for (int b = 0; b < NBL; b++) begin
            a_gl[LW*b +: LW] = lib_rom[LIBA'(a_gi[BWB*b +: EB])];
            a_ul[LW*b +: LW] = lib_rom[LIBA'(a_ui[BWB*b +: EB])];
          end
          cg_sum = bdot(x_mem[a_grp], a_gi, a_gl);
          cu_sum = bdot(x_mem[a_grp], a_ui, a_ul);
        end else begin
          {cu_sum, cg_sum} = dot2(x_mem[a_grp], GW'(a_gw), GW'(a_uw), a_gs, a_us);
        end
        pb_g_next = 32'sd0;
        pb_u_next = 32'sd0;
        if (MX && LANES < 32) begin
          // A 32-column block spans GPB words: sum it, then align it once.
          pb_g_next = (a_bpos == 32'd0 ? 32'sd0 : pb_g) + cg_sum;
          pb_u_next = (a_bpos == 32'd0 ? 32'sd0 : pb_u) + cu_sum;
          cg_sum = a_blk_end ? mx_align(pb_g_next, a_gs[4:0]) : 32'sd0;
          cu_sum = a_blk_end ? mx_align(pb_u_next, a_us[4:0]) : 32'sd0;
        end
        acc_g_next = (a_grp == 32'd0 ? 32'sd0 : acc_g) + cg_sum;
        acc_u_next = (a_grp == 32'd0 ? 32'sd0 : acc_u) + cu_sum;
        acc_g <= acc_g_next;
        acc_u <= acc_u_next;
        if (MX && LANES < 32) begin
          pb_g <= pb_g_next;
          pb_u <= pb_u_next;
        end
        a_waddr <= a_waddr + 32'd1;
        a_bpos <= a_blk_end ? 32'd0 : a_bpos + 32'd1;
        if (a_row_end) begin
          a_grp <= 32'd0;
          r1_valid <= 1'b1;
          r1_acc_g <= acc_g_next;
          r1_acc_u <= acc_u_next;
          r1_row <= a_row;
          r1_mgrp <= a_mgrp;
          r1_mlane <= a_mlane;
          r1_e <= a_e;
          r1_bank <= a_bank;
          r1_last <= a_row == 32'(I - 1);
          a_row <= a_row + 32'd1;
          if (a_mlane == 32'(LANES - 1)) begin
            a_mlane <= 32'd0;
            a_mgrp <= a_mgrp + 32'd1;
          end else begin
            a_mlane <= a_mlane + 32'd1;
          end
          if (a_row == 32'(I - 1)) a_mac <= 1'b0;
        end else begin
          a_grp <= a_grp + 32'd1;
        end
      end

      // ---- accept a job (after the stage A update: a job may start in the cycle the
      //      previous job's last gate/up MAC runs)
      if (accept) begin
        gap <= 32'(II - 1);
        x_mem[0] <= in_data;
        in_busy <= DG > 1;
        in_cnt <= 32'd1;
        job_par <= ~job_par;
        a_mac <= 1'b1;
        a_row <= 32'd0;
        a_grp <= 32'd0;
        a_waddr <= 32'd0;
        a_bpos <= 32'd0;
        a_mgrp <= 32'd0;
        a_mlane <= 32'd0;
        a_bank <= job_par;
        a_e <= in_e;
      end

      // ---- requant 1 -> requant 2
      r2_valid <= r1_valid;
      if (r1_valid) begin
        r2_g <= r1_gq;
        r2_u <= r1_uq;
        r2_mgrp <= r1_mgrp;
        r2_mlane <= r1_mlane;
        r2_bank <= r1_bank;
        r2_last <= r1_last;
      end

      // ---- requant 2 -> m bank; the job's last m starts stage B
      if (r2_valid) begin
        ms = m_stage;
        ms[8*r2_mlane +: 8] = r2_m;
        m_stage <= ms;
        if (r2_mlane == 32'(LANES - 1) || r2_last) m_mem[{r2_mgrp[30:0], r2_bank}] <= ms;
      end

      // ---- stage B MACs
      y_valid <= 1'b0;
      if (b_mac) begin
        b_row_end = b_grp == 32'(IG - 1);
        b_blk_end = b_row_end || b_bpos == 32'(GPB - 1);
        b_ds = '0;
        if (MX) b_ds = xd_rom[b_waddr];
        b_dw = wd_rom[b_waddr];
        b_di = IWW'(b_dw);
        if (BL) begin
          for (int b = 0; b < NBL; b++) b_dl[LW*b +: LW] = lib_rom[LIBA'(b_di[BWB*b +: EB])];
          cd_sum = bdot(m_mem[{b_grp[30:0], b_bank}], b_di, b_dl);
        end else begin
          cd_sum = dot1(m_mem[{b_grp[30:0], b_bank}], GW'(b_dw), b_ds);
        end
        pb_d_next = 32'sd0;
        if (MX && LANES < 32) begin
          pb_d_next = (b_bpos == 32'd0 ? 32'sd0 : pb_d) + cd_sum;
          cd_sum = b_blk_end ? mx_align(pb_d_next, b_ds[4:0]) : 32'sd0;
        end
        acc_d_next = (b_grp == 32'd0 ? 32'sd0 : acc_d) + cd_sum;
        acc_d <= acc_d_next;
        if (MX && LANES < 32) pb_d <= pb_d_next;
        b_waddr <= b_waddr + 32'd1;
        b_bpos <= b_blk_end ? 32'd0 : b_bpos + 32'd1;
        if (b_row_end) begin
          b_grp <= 32'd0;
          y_valid <= 1'b1;
          y_acc <= acc_d_next;
          y_row <= b_row;
          y_lane <= b_lane;
          y_flush <= b_lane == 32'(LANES - 1) || b_row == 32'(D - 1);
          b_row <= b_row + 32'd1;
          b_lane <= (b_lane == 32'(LANES - 1)) ? 32'd0 : b_lane + 32'd1;
          if (b_row == 32'(D - 1)) b_mac <= 1'b0;
        end else begin
          b_grp <= b_grp + 32'd1;
        end
      end
      if (r2_valid && r2_last) begin
        b_mac <= 1'b1;
        b_row <= 32'd0;
        b_grp <= 32'd0;
        b_waddr <= 32'd0;
        b_bpos <= 32'd0;
        b_lane <= 32'd0;
        b_bank <= r2_bank;
      end

      // ---- stage B requant -> y group -> output beat
      out_v <= 1'b0;
      if (y_valid) begin
        ys = y_stage;
        ys[16*y_lane +: 16] = y_q;
        y_stage <= ys;
        if (y_flush) begin
          out_reg <= ys;
          out_v <= 1'b1;
        end
      end
    end
  end
endmodule
