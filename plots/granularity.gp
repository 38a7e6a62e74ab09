# Speedup against the cost of one task (lessons 06, 12, 13): log x, log y,
# one curve per series (dashed where dashed says 1: a model), the line
# speedup = 1 (below it the parallel way is slower than the loop) and each
# series' break-even, where it crosses 1, as a dotted vertical line in its
# colour (bes: one number per series, 0 = none).
# Variables: data png title term cols rows nseries titles (double-quoted
# words) dashed (0/1 per series) bes xlabel, and optionally mark (an x > 0)
# and marklabel: a labelled vertical line (lesson 06: Python's default chunksize)
# mpkit-reference: drawn here (lib/plot.c looks for this line).
# The reference run (plot.h): refdata, refblocks (0: none), reflabel; its
# measured series are drawn as thin dotted lines with open circles in the
# colours of this run's, under one key entry.
if (!exists("xlabel")) xlabel = 'cost of one task (ns)'
if (term eq 'png') {
    set terminal pngcairo size 1000,620 noenhanced font ',10'
    set output png
    # the reference's entry is long (it names the machine): beside the plot it
    # would take half the width, so with a reference the key goes below
    if (refblocks > 0) { set key outside below } else { set key outside right top }
} else {
    set terminal dumb size cols,rows noenhanced
    set key outside below
}
set title title
set xlabel xlabel
set ylabel 'speedup (serial / parallel)'
set logscale x
set logscale y
set grid
do for [i=1:nseries] {
    b = real(word(bes, i))
    if (b > 0) { set arrow from b, graph 0 to b, graph 1 nohead dashtype 3 lw 1.5 lc i }
}
if (exists("mark") && mark > 0) {
    set arrow from mark, graph 0 to mark, graph 1 nohead lw 2 lc rgb 'gray50'
    set label marklabel at mark, graph 0.95 left offset 1, 0 tc rgb 'gray30'
}
is_model(i) = word(dashed, i) eq '1'
plot 1 title 'speedup = 1: break-even' with lines lw 2 lc rgb 'gray30', \
     for [i=1:nseries] data index (i-1) using 1:(is_model(i) ? 1/0 : $2) \
         with linespoints lw 2 pt 7 lc i title (is_model(i) ? '' : word(titles, i)), \
     for [i=1:nseries] data index (i-1) using 1:(is_model(i) ? $2 : 1/0) \
         with lines dashtype 2 lw 2 lc i title (is_model(i) ? word(titles, i) : ''), \
     for [i=1:(refblocks < nseries ? refblocks : nseries)] refdata index (i-1) using 1:(is_model(i) ? 1/0 : $2) \
         with linespoints dashtype 3 lw 1 pt 6 ps 0.7 lc i notitle, \
     1/0 with linespoints dashtype 3 lw 1 pt 6 lc rgb 'gray40' title (refblocks > 0 ? reflabel.' (dotted)' : '')
