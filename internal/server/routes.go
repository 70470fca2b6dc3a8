package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/auth"
)

// Handler returns the application's router: every route in one place.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.logRequests, securityHeaders)
	notFound := func(w http.ResponseWriter, r *http.Request) { s.errorPage(w, r, http.StatusNotFound, "error.404") }
	methodNotAllowed := func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "error.405")
	}
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed)

	// Outside sessions: health checks and static files.
	r.Get("/healthz", s.health)
	r.Handle("/static/*", s.assets.Handler())

	r.Group(func(r chi.Router) {
		r.Use(s.crossOrigin, s.sessions.LoadAndSave, s.loadUser)

		// Public pages.
		r.Get("/", s.h(s.home))
		r.Get("/login", s.h(s.loginForm))
		r.Post("/login", s.h(s.login))
		r.Post("/logout", s.h(s.logout))
		r.Post("/lang", s.h(s.setLanguage))
		r.Get("/set-password/{token}", s.h(s.setPasswordForm))
		r.Post("/set-password/{token}", s.h(s.setPassword))

		// Staff area.
		r.Route("/app", func(r chi.Router) {
			r.Use(s.requireUser)
			r.NotFound(notFound)
			r.MethodNotAllowed(methodNotAllowed)
			r.Get("/", s.h(s.appHome))

			r.Get("/people", s.h(s.peopleList))
			r.Get("/people/new", s.h(s.personNew))
			r.Post("/people", s.h(s.personCreate))
			r.Get("/people/{id}", s.h(s.personShow))
			r.Get("/people/{id}/edit", s.h(s.personEdit))
			r.Post("/people/{id}", s.h(s.personUpdate))
			r.Post("/people/{id}/affiliations", s.h(s.affiliationCreate))
			r.Post("/people/{id}/affiliations/{aid}/delete", s.h(s.affiliationDelete))

			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireRole(auth.RoleAdmin))
				r.Get("/", s.h(s.adminHome))

				r.Get("/users", s.h(s.usersList))
				r.Get("/users/new", s.h(s.userNew))
				r.Post("/users", s.h(s.userInvite))
				r.Get("/users/{id}", s.h(s.userEdit))
				r.Post("/users/{id}", s.h(s.userUpdate))
				r.Post("/users/{id}/resend", s.h(s.userResendInvite))
				r.Post("/users/{id}/deactivate", s.h(s.userDeactivate))
				r.Post("/users/{id}/reactivate", s.h(s.userReactivate))

				r.Get("/units", s.h(s.unitsList))
				r.Get("/units/new", s.h(s.unitNew))
				r.Post("/units", s.h(s.unitCreate))
				r.Get("/units/{id}", s.h(s.unitEdit))
				r.Post("/units/{id}", s.h(s.unitUpdate))
				r.Post("/units/{id}/archive", s.h(s.unitArchive))
				r.Post("/units/{id}/restore", s.h(s.unitRestore))

				r.Get("/audit", s.h(s.auditList))

				r.Get("/outbox", s.h(s.outboxList))
				r.Get("/outbox/{id}", s.h(s.outboxShow))
			})
		})
	})
	return r
}
