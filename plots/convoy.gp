# Convoy effect: the latency of one request for each setup, two bars each:
# the median (half the requests were faster) and the 99th percentile (99 in
# 100 were faster), on a log scale: beside a CPU-bound thread a request
# takes many times longer than alone.
# Data: a header line, then: "label" median_us p99_us
# Variables from the lesson: data png title term cols rows.
# A PNG chart (mp_plot_png): the lesson prints the same numbers as a table.
# mpkit-reference: by rows (lib/plot.c looks for this line: it passes the
# reference run only when its rows are this run's, in the same order).
# The reference run (plot.h): refdata, refblocks (0: none), reflabel; each of
# its values is a black dashed line across the bar it pairs with, under one
# key entry.
if (term eq 'png') {
    set terminal pngcairo size 1000,600 noenhanced font ',11'
    set output png
} else {
    set terminal dumb size cols,rows noenhanced
}
set title title
set ylabel 'latency of one request (us, log scale)'
set logscale y
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border -1
set boxwidth 0.9
set bmargin 6
set xrange [-0.7:*]
set grid ytics
# the key sits on the tall bars' top left: with a reference it would cover the
# reference's dashes there (its p99s are the tallest marks), so then it goes below
# (below, gnuplot makes the bottom margin as tall as the labels and the key need)
if (refblocks > 0) { set key below box; set bmargin } else { set key top left box opaque }
set xtics nomirror rotate by 15 right
# where a bar stands: row j (from 0), bar i of 2, gap 1.5
bar_x(j, i) = j + (i - 1.5) / 3.5
bar_half = 0.45 / 3.5
plot data skip 1 using 2:xtic(1) title 'median: half the requests were faster' lc rgb '#1f77b4', \
     '' skip 1 using 3 title 'p99: 99 in 100 were faster' lc rgb '#d62728', \
     for [i=1:(refblocks > 0 ? 2 : 0)] refdata skip 1 using (bar_x($0, i) - bar_half):(column(i + 1)):(2 * bar_half):(0) \
         with vectors nohead lw 2.5 dashtype 2 lc rgb 'black' notitle, \
     1/0 with lines lw 2.5 dashtype 2 lc rgb 'black' title (refblocks > 0 ? reflabel.' (dashes)' : '')
