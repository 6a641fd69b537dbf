package access

import "testing"

// Roles are ordered: whatever a role may do, every stronger role may too.
func TestPermissionsAreMonotonic(t *testing.T) {
	t.Parallel()
	for _, a := range Actions() {
		for _, strong := range Roles() {
			for _, weak := range Roles() {
				if strong.AtLeast(weak) && Can(weak, a) && !Can(strong, a) {
					t.Errorf("%s may %s but %s may not", weak, a, strong)
				}
			}
		}
	}
}

func TestUnknownDenied(t *testing.T) {
	t.Parallel()
	if Can(RoleOwner, "no.such.action") || Can("root", ActOrderRead) {
		t.Error("unknown actions and roles must be denied")
	}
}
