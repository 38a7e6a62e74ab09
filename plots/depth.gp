# A queue's depth over time: depth.csv (t_ms,depth), drawn as steps, with
# the queue's maxsize as a dashed line and the moment the producer slowed
# down as a dotted one.
# Variables: data png title term cols rows maxsize slow_ms
# mpkit-reference: drawn here (lib/plot.c looks for this line).
# The reference run (plot.h): refdata (its depth.csv), refblocks (0: none),
# reflabel; its depth is drawn as thin dotted steps, under its own key entry.
if (term eq 'png') {
    set terminal pngcairo size 900,500 noenhanced font ',10'
    set output png
    # the reference's entry is long (it names the machine): beside the plot it
    # would take half the width, so with a reference the key goes below
    if (refblocks > 0) { set key outside below } else { set key outside right top }
} else {
    set terminal dumb size cols,rows noenhanced
    set key outside below
}
set datafile separator ','
set title title
set xlabel 'time (ms)'
set ylabel 'items in the queue (qsize)'
set yrange [-0.5:maxsize + 1.5]
set grid
set arrow from slow_ms, graph 0 to slow_ms, graph 1 nohead dt 3
set label 'producer slows down' at slow_ms, graph 0.95 offset 1,0
plot data every ::1 using 1:2 with steps lw 2 title 'depth', \
     maxsize with lines dt 2 title 'maxsize', \
     for [i=1:(refblocks > 0)] refdata every ::1 using 1:2 with steps dashtype 3 lw 1 lc 1 \
         title reflabel.' (dotted)'
