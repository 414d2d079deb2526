package metrics

import "strconv"

func httpCode(code int) string { return strconv.Itoa(code) }
