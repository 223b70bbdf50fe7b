// sc_network_decay: y = x - rnd(x, K, L), the fixed-point decay x * (1 - K / 2**L) (SPEC
// section 4, design.json "neuron"):
//   rnd = (2**(G-1) + sum over K's signed digits s 2**e of s ((x << G) >>> (L - e))) >>> G
// K = POS - NEG: bit e of POS (NEG) is a digit +2**e (-2**e) of K's canonical signed
// digits, one adder each, G = 4 guard bits wider than x (not L); the rounding constant
// starts the sum and the last arithmetic shift rounds to the nearest integer.
module sc_network_decay #(
    parameter integer W = 8,
    parameter integer L = 0,
    parameter [31:0] POS = 32'd1,
    parameter [31:0] NEG = 32'd0
) (
    input  wire signed [W-1:0] x,
    output wire signed [W-1:0] y
);
    localparam integer G = 4;
    localparam integer QW = W + G + 2;
    localparam signed [QW-1:0] ROUND = {{(QW-G){1'b0}}, 1'b1, {(G-1){1'b0}}};
    wire signed [QW-1:0] xg = {x[W-1], x[W-1], x, {G{1'b0}}};  // x << G, sign-extended
    // The digits' terms, each floored at 2**-G units, summed from the rounding constant.
    function signed [QW-1:0] digits_sum;
        input signed [QW-1:0] value;
        integer e;
        reg signed [QW-1:0] acc;
        begin
            acc = ROUND;
            for (e = 0; e <= L; e = e + 1) begin
                if (POS[e])
                    acc = acc + (value >>> (L - e));
                else if (NEG[e])
                    acc = acc - (value >>> (L - e));
            end
            digits_sum = acc;
        end
    endfunction
    wire signed [QW-1:0] total = digits_sum(xg);
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [QW-1:0] leak = total >>> G;  // |x * K / 2**L| <= |x|: fits W bits
    /* verilator lint_on UNUSEDSIGNAL */
    assign y = x - leak[W-1:0];
endmodule
