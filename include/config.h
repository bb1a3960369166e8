/* config.h - PLACEHOLDER being replaced by the configuration module (lib/config.c). */
#ifndef EDG_CONFIG_H
#define EDG_CONFIG_H
#define CONFIG_DEFAULT_PATH "/etc/edg/edg.conf"
#endif
