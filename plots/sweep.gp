# Switch-interval sweep: wall time of 2 CPU-bound threads (left axis) and
# GIL hand-overs per second (right axis) against the switch interval, with
# the ceiling 1/interval that the new lock cannot exceed.
# Variables: data png title term. Data columns: interval_us median_s handoffs_per_s
if (term eq 'png') {
    set terminal pngcairo size 900,550 noenhanced font ',10'
    set output png
} else {
    set terminal dumb size cols,rows noenhanced
}
is_text = term ne 'png'
set title title
set logscale x
set logscale y2
set xlabel 'switch interval (us)'
set ylabel 'wall time of 2 threads (s)'
set y2label 'hand-overs per second'
set ytics nomirror
set y2tics
set yrange [0:*]
if (is_text) { set key outside below } else { set key top center }
set grid
plot data using 1:2 with linespoints lw 2 title 'wall time (left)', \
     data using 1:3 axes x1y2 with linespoints lw 2 title 'hand-overs/s (right)', \
     data using 1:(1e6/$1) axes x1y2 with lines dashtype 2 title '1/interval: the ceiling (right)'
