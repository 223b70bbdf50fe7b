// sc_network_neuron: one step of the fixed-point neuron (SPEC section 4, design.json "neuron"),
// combinational.  Membrane and current are in units of 2**-F counts:
//   i_next = sat_IW(decay_s(i) + (count << F))          (SYN = 1: CubaLIF, CubaLI)
//   u      = SYN ? i_next : count << F
//   sum    = sat_VW(decay_m(v) + drive + u)             (LEAK = 0: no decay)
//   fire   = SPIKING & (sum >= theta)
//   v_next = fire ? (RESET_SUB ? sum - theta : vreset) : sum
module sc_network_neuron #(
    parameter integer CW = 4,
    parameter integer VW = 8,
    parameter integer IW = 1,
    parameter integer F = 0,
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
    parameter integer RESET_SUB = 0
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire signed [VW-1:0] v,
    input  wire signed [IW-1:0] i,       // unused without SYN
    input  wire signed [CW-1:0] count,
    input  wire        [VW:0]   theta,   // unused without SPIKING
    input  wire signed [VW-1:0] drive,
    input  wire signed [VW-1:0] vreset,  // unused with RESET_SUB
    /* verilator lint_on UNUSEDSIGNAL */
    output wire signed [VW-1:0] v_next,
    output wire signed [IW-1:0] i_next,
    output wire                 fire
);
    localparam integer UW = (SYN != 0) ? IW : CW + F;
    wire signed [CW+F-1:0] cu;  // the count on the 2**-F grid: count << F
    generate
        if (F > 0) begin : g_frac
            assign cu = {count, {F{1'b0}}};
        end else begin : g_whole
            assign cu = count;
        end
    endgenerate
    wire signed [UW-1:0] u;
    generate
        if (SYN != 0) begin : g_syn
            wire signed [IW-1:0] idec;
            if (SYN_LEAK != 0) begin : g_decay
                sc_network_decay #(.W(IW), .L(SL), .POS(SPOS), .NEG(SNEG)) u_decay (.x(i), .y(idec));
            end else begin : g_hold
                assign idec = i;
            end
            wire signed [IW:0] isum = {idec[IW-1], idec} + {{(IW+1-CW-F){cu[CW+F-1]}}, cu};
            wire iover = isum[IW] ^ isum[IW-1];
            assign i_next = iover ? {isum[IW], {(IW-1){~isum[IW]}}} : isum[IW-1:0];
            assign u = i_next;
        end else begin : g_count
            assign i_next = {IW{1'b0}};
            assign u = cu;
        end
    endgenerate
    wire signed [VW-1:0] leaked;
    generate
        if (LEAK != 0) begin : g_leak
            sc_network_decay #(.W(VW), .L(L), .POS(LPOS), .NEG(LNEG)) u_decay (.x(v), .y(leaked));
        end else begin : g_no_leak
            assign leaked = v;
        end
    endgenerate
    // Three terms need two more bits; the sum saturates when its top three bits differ.
    wire signed [VW+1:0] sum = {{2{leaked[VW-1]}}, leaked} + {{2{drive[VW-1]}}, drive}
                             + {{(VW+2-UW){u[UW-1]}}, u};
    wire in_range = (sum[VW+1:VW-1] == 3'b000) | (sum[VW+1:VW-1] == 3'b111);
    wire signed [VW-1:0] sat = in_range ? sum[VW-1:0] : {sum[VW+1], {(VW-1){~sum[VW+1]}}};
    wire signed [VW:0] diff = {sat[VW-1], sat} - theta;
    assign fire = (SPIKING != 0) & ~diff[VW];
    wire signed [VW-1:0] after = (RESET_SUB != 0) ? diff[VW-1:0] : vreset;
    assign v_next = fire ? after : sat;
endmodule
