# Speedup against workers: measured points with min..max bars, the ideal
# line (speedup = workers) and, dashed in the series' colour, Amdahl's law
# fitted to each series whose serial fraction is known (fits: one number per
# series, -1 = none), drawn over the workers that fit used (tops: the largest).
# A vertical line marks the CPUs this process may use (nproc: gnuplot runs
# with the lesson's CPU affinity), where the sweep has points beyond them:
# past it, CPU-bound work has no CPU left to gain from.
# Variables from mp_speedup_plot(): data png title term cols rows nseries titles fits tops xmax
# mpkit-reference: drawn here (lib/plot.c looks for this line).
# The reference run (plot.h): refdata, refblocks (0: none), reflabel; its
# series are drawn as thin dotted lines with open circles in the colours of
# this run's, under one key entry.
if (term eq 'png') {
    set terminal pngcairo size 900,600 noenhanced font ',10'
    set output png
    set key top left opaque
} else {
    set terminal dumb size cols,rows noenhanced
    set key outside below   # in text the key would cover the points
}
set title title
set xlabel 'workers'
set ylabel 'speedup (serial median / median)'
set grid
set xrange [0.5:xmax + 0.5]
if (xmax <= 16) { set xtics 1 }   # whole workers only
set yrange [0:*]
cpus = system('env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 0') + 0
if (cpus >= 1 && cpus < xmax) {
    set arrow from cpus, graph 0 to cpus, graph 0.98 nohead dashtype 2 lw 1.5 lc rgb 'gray50'
    set label sprintf('%d CPU%s usable', cpus, cpus == 1 ? '' : 's') at cpus, graph 0.1 left offset 2, 0 tc rgb 'gray30'
}
amdahl(s, n) = 1.0 / (s + (1.0 - s) / n)
fit_of(i) = real(word(fits, i))
top_of(i) = real(word(tops, i))
set samples 200
plot x title 'ideal: speedup = workers' with lines dashtype 3 lw 1.5 lc rgb 'gray40', \
     for [i=1:nseries] data index (i-1) using 1:2:3:4 with yerrorlines title word(titles, i) lw 2 lc i, \
     for [i=1:nseries] (fit_of(i) >= 0 && x >= 1 && x <= top_of(i) ? amdahl(fit_of(i), x) : 1/0) \
         title (fit_of(i) >= 0 ? sprintf('%s Amdahl fit to %g workers: serial %.1f%%', word(titles, i), top_of(i), \
                                         100 * fit_of(i)) : '') \
         with lines dashtype (12, 6) lw 2.5 lc i, \
     for [i=1:(refblocks < nseries ? refblocks : nseries)] refdata index (i-1) using 1:2 \
         with linespoints dashtype 3 lw 1 pt 6 ps 0.8 lc i notitle, \
     1/0 with linespoints dashtype 3 lw 1 pt 6 lc rgb 'gray40' title (refblocks > 0 ? reflabel.' (dotted)' : '')
