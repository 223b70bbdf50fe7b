// sc_network_lif: the fixed-point neuron's registers (SPEC section 4, design.json "neuron"):
// membrane v, current i (SYN = 1) and spike, updated by sc_network_neuron when valid is high.
// PRE = 1 (the speed pipeline, plain neurons only: no current, drive or reset value):
// ctheta = (count << F) - THETA comes from a register, so the comparison with THETA runs
// beside the addition instead of after it; PRE = 0 ignores ctheta.
module sc_network_lif #(
    parameter integer CW = 4,
    parameter integer VW = 8,
    parameter integer IW = 1,
    parameter integer F = 0,
    parameter integer THETA = 1,
    parameter integer DRIVE = 0,
    parameter integer VRESET = 0,
    parameter integer LEAK = 0,
    parameter integer L = 0,
    parameter [31:0] LPOS = 32'd0,
    parameter [31:0] LNEG = 32'd0,
    parameter integer SYN = 0,
    parameter integer SYN_LEAK = 0,
    parameter integer SL = 0,
    parameter [31:0] SPOS = 32'd0,
    parameter [31:0] SNEG = 32'd0,
    parameter integer SPIKING = 1,
    parameter integer RESET_SUB = 0,
    parameter integer PRE = 0
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire                 valid,
    input  wire signed [CW-1:0] count,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire signed [VW-1:0] ctheta,  // unused when PRE = 0
    /* verilator lint_on UNUSEDSIGNAL */
    output reg                  spike,
    output reg  signed [VW-1:0] v
);
    wire signed [VW-1:0] v_next;
    wire fire;
    generate
        if (PRE != 0) begin : g_pre
            localparam signed [VW-1:0] VMAX_MINUS_TH = {1'b0, {(VW-1){1'b1}}} - THETA[VW-1:0];
            wire signed [VW-1:0] leaked;
            if (LEAK != 0) begin : g_leak
                sc_network_decay #(.W(VW), .L(L), .POS(LPOS), .NEG(LNEG)) u_decay (.x(v), .y(leaked));
            end else begin : g_no_leak
                assign leaked = v;
            end
            wire signed [CW+F-1:0] cu;  // count << F
            if (F > 0) begin : g_frac
                assign cu = {count, {F{1'b0}}};
            end else begin : g_whole
                assign cu = count;
            end
            // The sum has one extra bit; it overflowed VW bits when its two top bits differ,
            // and then saturates to the largest (sum[VW] = 0) or smallest value.
            wire signed [VW:0] sum = {leaked[VW-1], leaked} + {{(VW+1-CW-F){cu[CW+F-1]}}, cu};
            wire overflow = sum[VW] ^ sum[VW-1];
            wire signed [VW-1:0] sat = overflow ? {sum[VW], {(VW-1){~sum[VW]}}} : sum[VW-1:0];
            // leaked + (count << F) - THETA cannot overflow VW + 1 bits; it is >= 0 exactly
            // when sat >= THETA (THETA is below the saturation limit).
            wire signed [VW:0] diff = {leaked[VW-1], leaked} + {ctheta[VW-1], ctheta};
            assign fire = ~diff[VW];
            wire signed [VW-1:0] after = (RESET_SUB == 0) ? {VW{1'b0}}
                                       : (overflow & ~sum[VW]) ? VMAX_MINUS_TH : diff[VW-1:0];
            assign v_next = fire ? after : sat;
        end else begin : g_post
            wire signed [IW-1:0] i_next;
            reg signed [IW-1:0] i;
            always @(posedge clk) begin
                if (rst | (SYN == 0))
                    i <= {IW{1'b0}};
                else if (valid)
                    i <= i_next;
            end
            localparam [VW:0] TH = {1'b0, THETA[VW-1:0]};  // 0 < THETA < 2**(VW-1)
            localparam signed [VW-1:0] DR = DRIVE[VW-1:0];
            localparam signed [VW-1:0] VR = VRESET[VW-1:0];
            sc_network_neuron #(.CW(CW), .VW(VW), .IW(IW), .F(F), .LEAK(LEAK), .L(L), .LPOS(LPOS),
                .LNEG(LNEG), .SYN(SYN), .SYN_LEAK(SYN_LEAK), .SL(SL), .SPOS(SPOS), .SNEG(SNEG),
                .SPIKING(SPIKING), .RESET_SUB(RESET_SUB)) u_step (
                .v(v), .i(i), .count(count), .theta(TH), .drive(DR), .vreset(VR),
                .v_next(v_next), .i_next(i_next), .fire(fire));
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            spike <= 1'b0;
            v <= {VW{1'b0}};
        end else if (valid) begin
            spike <= fire;
            v <= v_next;
        end
    end
endmodule
