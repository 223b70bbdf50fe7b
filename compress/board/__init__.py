"""From a build to a running board: board data, the board top, the bitstream flow and
the host runtime (``sc-compress board`` and ``sc-compress run``)."""
