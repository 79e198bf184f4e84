/* systemd notifications: readiness, reload, stopping, status lines. */
#ifndef NOTIFY_H
#define NOTIFY_H

int	notify_enabled(void);
void	notify_ready(const char *);
void	notify_reloading(void);
void	notify_stopping(const char *);
void	notify_status(const char *);

#endif
