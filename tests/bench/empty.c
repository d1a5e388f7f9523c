/* SPDX-License-Identifier: GPL-2.0-or-later */
/* empty: a program that does nothing, for tests/bench/run. Built twice with
 * the product's flags, once plain and once also linked with libcap, so the
 * difference of their exec times is what loading libcap costs x86ns-shell. */
int main(void)
{
	return 0;
}
