# Timeline (Gantt chart): one lane per thread of each process, one bar per
# recorded task from its start to its end, in milliseconds.
# Variables from mp_trace_write(): data png title term lanes nlanes
if (term eq 'png') {
    set terminal pngcairo size 1000,(150 + 40 * nlanes) noenhanced font ',10'
    set output png
} else {
    set terminal dumb size 100,(8 + 2 * nlanes) noenhanced
}
set title title
set xlabel 'time since the first event (ms)'
set yrange [-0.7:nlanes - 0.3]
set ytics nomirror
eval 'set ytics '.lanes
set grid xtics
unset key
# no border: a lane with thousands of short spans (the old lock) would be all border
set style fill solid 0.8 noborder
# colour by lane; x is the middle of the span, xdelta half its width
plot data using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.35):1 with boxxyerror lc variable
