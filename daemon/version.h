/* The version of scrubd and scrubc. */
#ifndef VERSION_H
#define VERSION_H

#define SCRUBD_VERSION	"0.3.0"

#endif
