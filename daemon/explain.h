/* --explain: what each rule drops or changes, instead of the text. */
#ifndef EXPLAIN_H
#define EXPLAIN_H

struct config;

int	explain_run(const struct config *, char **, int);

#endif
