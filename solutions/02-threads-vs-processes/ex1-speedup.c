/* Exercise 02.1 -- speedup, efficiency and Amdahl's law.
 *
 * speedup     = serial time / parallel time       (2.0: twice as fast)
 * efficiency  = speedup / workers                  (1.0: no worker wasted)
 * Amdahl's law: if a fraction s of the work cannot run in parallel, n
 * workers can at best reach 1 / (s + (1 - s) / n), and never more than
 * 1 / s however many workers you add.
 *
 * Why it matters: lesson 02 prints all three. Knowing the ceiling tells you
 * when adding workers is pointless: with s = 0.1 even 1000 workers stay
 * under 10x.
 *
 * Return 0 for any input that has no meaning (times or workers <= 0, s
 * outside [0, 1]). Test: make check-2
 */

double speedup(double serial_s, double parallel_s)
{
    if (serial_s <= 0 || parallel_s <= 0)
        return 0;
    return serial_s / parallel_s;
}

double efficiency(double speedup, int workers)
{
    if (speedup <= 0 || workers <= 0)
        return 0;
    return speedup / workers;
}

double amdahl_max_speedup(double serial_fraction, int workers)
{
    if (serial_fraction < 0 || serial_fraction > 1 || workers <= 0)
        return 0;
    /* the serial part takes s of the time whatever n is; the rest is divided by n */
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / workers);
}
