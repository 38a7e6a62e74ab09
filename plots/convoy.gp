# Convoy effect: the latency of one request for each setup, two bars each:
# the median (half the requests were faster) and the 99th percentile (99 in
# 100 were faster), on a log scale: beside a CPU-bound thread a request
# takes many times longer than alone.
# Data: a header line, then: "label" median_us p99_us
# Variables from the lesson: data png title term cols rows.
# A PNG chart (mp_plot_png): the lesson prints the same numbers as a table.
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
set key top left box opaque
set xtics nomirror rotate by 15 right
plot data skip 1 using 2:xtic(1) title 'median: half the requests were faster' lc rgb '#1f77b4', \
     '' skip 1 using 3 title 'p99: 99 in 100 were faster' lc rgb '#d62728'
