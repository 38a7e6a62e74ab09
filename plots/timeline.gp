# Timeline (Gantt chart): one lane per thread of each process, one bar per
# recorded task from its start to its end, in milliseconds.
# Variables from mp_trace_write(): data png title term cols rows lanes nlanes
# (lanes: gnuplot ytics naming each lane, or '' when there are too many)
if (term eq 'png') {
    # 40 pixels a lane, up to 60 lanes; beyond, the lanes get thinner
    set terminal pngcairo size 1000,(150 + (nlanes <= 60 ? 40 * nlanes : 2400)) noenhanced font ',10'
    set output png
} else {
    set terminal dumb size cols,(nlanes * 2 + 8 < rows ? nlanes * 2 + 8 : rows) noenhanced
}
set title title
set xlabel 'time since the first event (ms)'
set yrange [-0.7:nlanes - 0.3]
set ytics nomirror
if (strlen(lanes) > 0 && nlanes <= 60) { eval 'set ytics '.lanes } else { set ylabel 'lane (thread)' }
set grid xtics
unset key
# no border: a lane with thousands of short spans (the old lock) would be all border
set style fill solid 0.8 noborder
# colour by lane; x is the middle of the span, xdelta half its width
plot data using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.35):1 with boxxyerror lc variable
