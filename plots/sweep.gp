# Switch-interval sweep: wall time of the CPU-bound threads (left axis, bars
# from min to max over the repeats) and the lock's hand-overs per second
# (right axis) against the switch interval, with the ceiling 1/interval
# that the new lock cannot exceed.
# Variables: data png title term cols rows.
# Data: the lesson's sweep.csv itself (a header row, then
# interval_us,median_s,handoffs,handoffs_per_s,min_s,max_s)
# mpkit-reference: drawn here (lib/plot.c looks for this line).
# The reference run (plot.h): refdata (its sweep.csv), refblocks (0: none),
# reflabel; its wall time and hand-overs are drawn as thin dotted lines in the
# colours of this run's, under one key entry.
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
set ylabel 'wall time (s)'
set y2label 'hand-overs per second'
set ytics nomirror
set y2tics
set yrange [0:*]
# text: the axis labels would run into the plot; the key says which axis is which
if (is_text) { set key outside below; unset ylabel; unset y2label } else { set key bottom left box opaque }
set grid
set datafile separator comma
plot data skip 1 using 1:2:5:6 with yerrorlines lw 2 title 'wall time (left)', \
     data skip 1 using 1:4 axes x1y2 with linespoints lw 2 title 'hand-overs/s (right)', \
     data skip 1 using 1:(1e6/$1) axes x1y2 with lines dashtype 2 title '1/interval: the ceiling (right)', \
     for [i=1:(refblocks > 0)] refdata skip 1 using 1:2 with linespoints dashtype 3 lw 1 pt 6 lc 1 notitle, \
     for [i=1:(refblocks > 0)] refdata skip 1 using 1:4 axes x1y2 with linespoints dashtype 3 lw 1 pt 6 lc 2 notitle, \
     1/0 with linespoints dashtype 3 lw 1 pt 6 lc rgb 'gray40' title (refblocks > 0 ? reflabel.' (dotted)' : '')
