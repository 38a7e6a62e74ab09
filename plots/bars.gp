# Bar chart with min..max bars: one group of bars per row, one bar per series.
# The data file's first line is a header; then, per row, a quoted label and,
# per series, three numbers: the value (the median), its min and its max:
#   run "time / sequential" min max
#   "2 threads, new lock" 1.02 0.97 1.10
# The series' names are the header's words 2, 5, 8, ...
# Variables from the lesson: data png title term cols rows ylabel nseries;
# optional: logy=1 (log scale), ref=Y (a dashed line at y = Y, e.g. 1.0).
# A PNG chart (mp_plot_png): the lesson prints the same numbers as a table.
# mpkit-reference: by rows (lib/plot.c looks for this line: it passes the
# reference run only when its rows are this run's, in the same order).
# The reference run (plot.h): refdata, refblocks (0: none), reflabel; each of
# its values is a black dashed line across the bar it pairs with, under one
# key entry.
if (!exists('logy')) logy = 0
if (term eq 'png') {
    set terminal pngcairo size 1000,600 noenhanced font ',11'
    set output png
} else {
    set terminal dumb size cols,rows noenhanced
}
set title title
set ylabel ylabel
set style data histograms
gap = nseries > 1 ? 2 : 1
if (gap == 2) { set style histogram errorbars gap 2 lw 1.5 } else { set style histogram errorbars gap 1 lw 1.5 }
# where a bar stands: row j (from 0), series i, nseries bars and the gap a row
bar_x(j, i) = j + (i - 1 - (nseries - 1) / 2.0) / (nseries + gap)
bar_half = 0.45 / (nseries + gap)
set style fill solid 0.8 border -1
set boxwidth 0.9
set bmargin 6
set xrange [-0.7:*]
if (logy) { set logscale y } else { set yrange [0:*] }
# room above the tallest bar or reference dash: a dash at the top of the range
# would lie on the border, where it cannot be seen
set offsets 0, 0, graph 0.05, 0
set grid ytics
# the reference's entry makes the key too tall to sit on the bars: then it goes below them
# (with a bottom margin gnuplot makes as tall as the labels and the key need)
if (refblocks > 0) { set key below box; set bmargin } else { if (nseries > 1) { set key top left box opaque } else { unset key } }
set xtics nomirror rotate by 15 right
# one colour per series, far apart
set linetype 1 lc rgb '#1f77b4'
set linetype 2 lc rgb '#ff7f0e'
set linetype 3 lc rgb '#2ca02c'
set errorbars lc rgb 'black'
if (exists('ref')) { set arrow from graph 0, first ref to graph 1, first ref nohead dashtype 2 lw 1.5 lc rgb 'gray30' front }
plot for [i=1:nseries] data using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) \
     title columnheader(3*i-1) lt i, \
     for [i=1:(refblocks > 0 ? nseries : 0)] refdata skip 1 using (bar_x($0, i) - bar_half):(column(3*i-1)):(2 * bar_half):(0) \
         with vectors nohead lw 2.5 dashtype 2 lc rgb 'black' notitle, \
     1/0 with lines lw 2.5 dashtype 2 lc rgb 'black' title (refblocks > 0 ? reflabel.' (dashes)' : '')
