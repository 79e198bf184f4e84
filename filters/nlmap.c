/*
 * Newline bitmaps (nlmap.h).  A word of the map covers 64 bytes of text:
 * two 32-byte AVX2 compares and their masks on x86-64 machines that have
 * AVX2 (asked once, at start), else four 16-byte SSE2 ones; a byte loop
 * elsewhere.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NLMAP_AVX2
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>	/* glibc's own reading, no cpuid again */
#define NLMAP_HAS_AVX2()	CPU_FEATURE_ACTIVE(AVX2)
#else
#define NLMAP_HAS_AVX2()	(__builtin_cpu_init(), \
				    __builtin_cpu_supports("avx2"))
#endif
#endif

#include "nlmap.h"
#include "xmalloc.h"

/* The map word of 64 bytes at p. */
static inline uint64_t
nlmap_word(const char *p)
{
#if defined(__SSE2__)
	const __m128i	nl = _mm_set1_epi8('\n');
	uint64_t	m0, m1, m2, m3;

	m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_loadu_si128((const __m128i *)p), nl));
	m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_loadu_si128((const __m128i *)(p + 16)), nl));
	m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_loadu_si128((const __m128i *)(p + 32)), nl));
	m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_loadu_si128((const __m128i *)(p + 48)), nl));
	return (m0 | m1 << 16 | m2 << 32 | m3 << 48);
#else
	uint64_t	w = 0;
	int		i;

	for (i = 0; i < 64; i++)
		w |= (uint64_t)(p[i] == '\n') << i;
	return (w);
#endif
}

#ifdef NLMAP_AVX2
static int	nlmap_avx2;

/* Ask once, before main, whether the machine has AVX2. */
__attribute__((constructor)) static void
nlmap_init(void)
{
	nlmap_avx2 = NLMAP_HAS_AVX2();
}

/* Map full words [0, nw) of p with AVX2. */
__attribute__((target("avx2"))) static void
nlmap_words_avx2(uint64_t *bits, const char *p, size_t nw)
{
	const __m256i	nl = _mm256_set1_epi8('\n');
	uint64_t	lo, hi;
	size_t		i;

	for (i = 0; i < nw; i++, p += 64) {
		lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		    _mm256_loadu_si256((const __m256i *)p), nl));
		hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		    _mm256_loadu_si256((const __m256i *)(p + 32)), nl));
		bits[i] = lo | hi << 32;
	}
}
#endif

/*
 * Use AVX2 if on and the machine has it; returns whether it was used
 * before.  For tests, which check both ways on one machine.
 */
int
nlmap_set_avx2(int on)
{
#ifdef NLMAP_AVX2
	int	was = nlmap_avx2;

	nlmap_avx2 = on && NLMAP_HAS_AVX2();
	return (was);
#else
	(void)on;
	return (0);
#endif
}

/* Map full words [0, nw) of p. */
static void
nlmap_words(uint64_t *bits, const char *p, size_t nw)
{
	size_t	i;

#ifdef NLMAP_AVX2
	if (nlmap_avx2) {
		nlmap_words_avx2(bits, p, nw);
		return;
	}
#endif
	for (i = 0; i < nw; i++)
		bits[i] = nlmap_word(p + i * 64);
}

#ifdef NLMAP_AVX2
/* The summary of nw map words with AVX2, four words a compare. */
__attribute__((target("avx2"))) static size_t
nlmap_summary_avx2(uint64_t *sum, const uint64_t *bits, size_t nw)
{
	const __m256i	zero = _mm256_setzero_si256();
	__m256i		v;
	uint64_t	s;
	size_t		i, k;

	for (i = 0; i + 64 <= nw; i += 64) {
		for (s = 0, k = 0; k < 64; k += 4) {
			v = _mm256_cmpeq_epi64(_mm256_loadu_si256(
			    (const __m256i *)(bits + i + k)), zero);
			s |= (uint64_t)(~_mm256_movemask_pd(
			    _mm256_castsi256_pd(v)) & 0xf) << k;
		}
		sum[i / 64] = s;
	}
	return (i);
}
#endif

/* The summary of nw map words: a bit a word, set if it is not 0. */
static void
nlmap_summary(uint64_t *sum, const uint64_t *bits, size_t nw)
{
	size_t		i = 0, k, n;
	uint64_t	s;

#ifdef NLMAP_AVX2
	if (nlmap_avx2)
		i = nlmap_summary_avx2(sum, bits, nw);
#endif
	for (; i < nw; i += 64) {
		n = nw - i < 64 ? nw - i : 64;
		for (s = 0, k = 0; k < n; k++)
			s |= (uint64_t)(bits[i + k] != 0) << k;
		sum[i / 64] = s;
	}
}

/* Map the newlines of [p, p + len). */
void
nlmap_build(struct nlmap *m, const char *p, size_t len)
{
	size_t		nw = (len + 63) / 64, full = len / 64, rest;
	uint64_t	w = 0;

	if (nw > m->cap) {
		free(m->bits);
		free(m->sum);
		m->bits = xreallocarray(NULL, nw, sizeof *m->bits);
		m->sum = xreallocarray(NULL, (nw + 63) / 64, sizeof *m->sum);
		m->cap = nw;
	}
	m->base = p;
	m->len = len;
	nlmap_words(m->bits, p, full);
	if (full < nw) {	/* the last, partial word */
		for (rest = len - full * 64; rest-- > 0;)
			w |= (uint64_t)(p[full * 64 + rest] == '\n') << rest;
		m->bits[full] = w;
	}
	nlmap_summary(m->sum, m->bits, nw);
}

/* Free a map's memory. */
void
nlmap_free(struct nlmap *m)
{
	free(m->bits);
	free(m->sum);
	memset(m, 0, sizeof *m);
}
