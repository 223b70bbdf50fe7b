// tb_sc_network: self-checking testbench of sc_network, written by sc-compress; do not edit.
// Plain Verilog-2005. Run it from the build folder (it reads tb/*.hex and, when the
// design has folded layers, mem/*.hex from there):
//   with Icarus:      iverilog -g2005 -o tb.vvp -s tb_sc_network tb/tb_sc_network.v rtl/*.v && vvp tb.vvp
//   with Verilator 5: verilator --binary -Wno-fatal --top-module tb_sc_network tb/tb_sc_network.v rtl/*.v
//                     && obj_dir/Vtb_sc_network
// It sends the 64 steps of tb/stimulus.hex (one in_spikes word per line) through the
// in_valid/in_ready handshake and compares the outputs of every out_valid with
// tb/expected.hex (one {out_spikes, out_counts} word per step, from sc-compress's golden
// model); it prints PASS, or FAIL with the first mismatching step and neuron, and ends
// with $finish.
`timescale 1ns / 1ps
module tb_sc_network;
    localparam integer STEPS = 64;
    localparam integer IN_W = 64;  // in_spikes
    localparam integer N_OUT = 10;
    localparam integer CW = 6;
    localparam integer OUT_W = N_OUT + N_OUT * CW;
    localparam integer TIMEOUT = 21550;  // clocks: every step at its latency, and margin
    parameter TB_DIR = "tb/";

    reg clk;
    reg rst;
    reg in_valid;
    reg [IN_W-1:0] in_spikes;
    wire in_ready;
    wire out_valid;
    wire [N_OUT-1:0] out_spikes;
    wire [N_OUT*CW-1:0] out_counts;

    reg [IN_W-1:0] stimulus [0:STEPS-1];
    reg [OUT_W-1:0] expected [0:STEPS-1];
    reg [OUT_W-1:0] want;
    integer sent;      // steps accepted by the design
    integer next;      // the step presented after this edge
    integer seen;      // out_valid pulses checked
    integer cycles;    // clocks since reset
    integer i;
    integer bad;       // first mismatching neuron, -1 when none

    sc_network dut (
        .clk(clk),
        .rst(rst),
        .in_valid(in_valid),
        .in_ready(in_ready),
        .in_spikes(in_spikes),
        .out_valid(out_valid),
        .out_spikes(out_spikes),
        .out_counts(out_counts)
    );

    initial begin
        $readmemh({TB_DIR, "stimulus.hex"}, stimulus);
        $readmemh({TB_DIR, "expected.hex"}, expected);
        clk = 1'b0;
        rst = 1'b1;
        in_valid = 1'b0;
        in_spikes = {IN_W{1'b0}};
        sent = 0;
        seen = 0;
        cycles = 0;
        #25 rst = 1'b0;  // two rising edges in reset
    end

    always #5 clk = ~clk;

    // Driver: a step is taken by the rising edge at which in_valid and in_ready are high.
    always @(posedge clk) begin
        if (!rst) begin
            next = (in_valid && in_ready) ? sent + 1 : sent;
            sent <= next;
            in_valid <= (next < STEPS);
            if (next < STEPS)
                in_spikes <= stimulus[next];
        end
    end

    // Checker: each out_valid must carry the next step's expected outputs.
    always @(posedge clk) begin
        if (!rst) begin
            cycles <= cycles + 1;
            if (cycles > TIMEOUT) begin
                $display("FAIL: timeout after %0d clocks, %0d of %0d steps checked", cycles, seen, STEPS);
                $finish;
            end
            if (out_valid) begin
                if (seen >= STEPS) begin
                    $display("FAIL: out_valid after the last of %0d steps", STEPS);
                    $finish;
                end
                want = expected[seen];
                bad = -1;
                for (i = N_OUT - 1; i >= 0; i = i - 1)
                    if (out_counts[i*CW +: CW] !== want[i*CW +: CW] || out_spikes[i] !== want[N_OUT*CW + i])
                        bad = i;
                if (bad >= 0) begin
                    $display("FAIL: step %0d, neuron %0d: count %0d spike %0d, expected count %0d spike %0d",
                             seen, bad, $signed(out_counts[bad*CW +: CW]), out_spikes[bad],
                             $signed(want[bad*CW +: CW]), want[N_OUT*CW + bad]);
                    $finish;
                end
                seen <= seen + 1;
                if (seen == STEPS - 1) begin
                    $display("PASS: %0d steps of %m match the golden model", STEPS);
                    $finish;
                end
            end
        end
    end
endmodule
