package config

import "fmt"

func fmtAll(c *Config) string {
	return fmt.Sprintf("%v %+v %#v %v %+v", c, c, c, c.GitHub, *c.GitHub)
}
