package notionfake_test
import ("testing";"fmt")
func TestProbe(t *testing.T){ f:=setup(t); r:=f.call(t,"GET","/v1/pages/"+f.page,"",nil); fmt.Println(r.Raw)}
