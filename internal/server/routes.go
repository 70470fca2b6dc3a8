package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/auth"
)

// Handler returns the application's router: every route in one place.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.logRequests, s.securityHeaders, s.checkRequest)
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
		r.Use(s.crossOrigin, s.sessions.LoadAndSave, s.flashCookies, s.loadUser)

		// Public pages.
		r.Get("/", s.handle(s.home))
		r.Get("/login", s.handle(s.loginForm))
		r.Post("/login", s.handle(s.login))
		r.Post("/logout", s.handle(s.logout))
		r.Post("/lang", s.handle(s.setLanguage))
		r.Get("/set-password/{token}", s.handle(s.setPasswordForm))
		r.Post("/set-password/{token}", s.handle(s.setPassword))
		r.Get("/account/email-revert/{token}", s.handle(s.userEmailRevertForm))
		r.Post("/account/email-revert/{token}", s.handle(s.userEmailRevert))
		r.Get("/forgot-password", s.handle(s.forgotForm))
		r.Post("/forgot-password", s.handle(s.forgot))
		r.Get("/u/{token}", s.handle(s.unsubscribeForm))
		r.Post("/u/{token}", s.handle(s.unsubscribe))

		// Alumni: registration, invitations and the portal, with the
		// portal's own session.
		r.Group(func(r chi.Router) {
			r.Use(s.portalSessions.LoadAndSave, s.loadAlumnus)
			r.Get("/register", s.handle(s.registerForm))
			r.Post("/register", s.handle(s.register))
			r.Get("/register/confirm/{token}", s.handle(s.registerConfirmForm))
			r.Post("/register/confirm/{token}", s.handle(s.registerConfirm))
			r.Get("/invite/{token}", s.handle(s.invitationForm))
			r.Post("/invite/{token}", s.handle(s.acceptInvitation))
			r.Get("/portal/login", s.handle(s.portalLoginForm))
			r.Post("/portal/login", s.handle(s.portalLoginRequest))
			r.Get("/portal/login/{token}", s.handle(s.portalLinkForm))
			r.Post("/portal/login/{token}", s.handle(s.portalLinkLogin))
			r.Get("/portal/email/{token}", s.handle(s.portalEmailConfirmForm))
			r.Post("/portal/email/{token}", s.handle(s.portalEmailConfirm))
			r.Get("/portal/email-revert/{token}", s.handle(s.portalRevertForm))
			r.Post("/portal/email-revert/{token}", s.handle(s.portalRevert))
			r.Get("/portal/still-correct/{token}", s.handle(s.portalStillCorrectForm))
			r.Post("/portal/still-correct/{token}", s.handle(s.portalStillCorrect))
			r.Post("/portal/logout", s.handle(s.portalLogout))
			r.Group(func(r chi.Router) {
				r.Use(s.requireAlumnus)
				r.Get("/portal", s.handle(s.portalHome))
				r.Post("/portal/confirm-details", s.handle(s.portalConfirmDetails))
				r.Get("/portal/profile", s.handle(s.portalProfileForm))
				r.Post("/portal/profile", s.handle(s.portalProfileSave))
				r.Post("/portal/email", s.handle(s.portalEmailChange))
				r.Get("/portal/permissions", s.handle(s.portalPermissions))
				r.Post("/portal/permissions/{id}", s.handle(s.portalPermission))
				r.Get("/portal/data", s.handle(s.portalData))
				r.Get("/portal/data/export.json", s.handle(s.portalExportJSON))
				r.Get("/portal/data/export.csv", s.handle(s.portalExportCSV))
				r.Get("/portal/delete", s.handle(s.portalDeleteForm))
				r.Post("/portal/delete", s.handle(s.portalDelete))
			})
		})

		// Staff area.
		r.Route("/app", func(r chi.Router) {
			r.Use(s.requireUser)
			r.NotFound(notFound)
			r.MethodNotAllowed(methodNotAllowed)
			r.Get("/", s.handle(s.appHome))
			r.Get("/account", s.handle(s.account))
			r.Post("/account/password", s.handle(s.accountPassword))

			r.Get("/people", s.handle(s.peopleList))
			r.Get("/people/new", s.handle(s.personNew))
			r.Post("/people", s.handle(s.personCreate))
			r.Get("/people/{id}", s.handle(s.personShow))
			r.Get("/people/{id}/edit", s.handle(s.personEdit))
			r.Post("/people/{id}", s.handle(s.personUpdate))
			r.Post("/people/{id}/affiliations", s.handle(s.affiliationCreate))
			r.Post("/people/{id}/affiliations/{aid}/delete", s.handle(s.affiliationDelete))
			r.Post("/people/{id}/consents", s.handle(s.personConsentCreate))
			r.Get("/offboarding", s.handle(s.offboardingList))
			r.Get("/offboarding/new", s.handle(s.offboardingNew))
			r.Post("/offboarding", s.handle(s.offboardingCreate))
			r.Get("/offboarding/{id:[0-9]+}", s.handle(s.offboardingShow))
			r.Post("/offboarding/{id:[0-9]+}/items/{item}", s.handle(s.offboardingItem))
			r.Post("/offboarding/{id:[0-9]+}/interview", s.handle(s.offboardingInterview))
			r.Post("/offboarding/{id:[0-9]+}/invite", s.handle(s.offboardingInvite))
			r.Post("/offboarding/{id:[0-9]+}/close", s.handle(s.offboardingClose))
			r.Post("/offboarding/{id:[0-9]+}/cancel", s.handle(s.offboardingCancel))
			r.Post("/offboarding/{id:[0-9]+}/reschedule", s.handle(s.offboardingReschedule))
			r.Get("/offboarding/cohort", s.handle(s.cohortNew))
			r.With(bodyLimit(cohortMaxBody)).Post("/offboarding/cohort/preview", s.handle(s.cohortPreview))
			r.With(bodyLimit(cohortMaxBody)).Post("/offboarding/cohort/confirm", s.handle(s.cohortConfirm))
			r.Get("/offboarding/cohort/summary", s.handle(s.cohortSummary))

			r.Post("/people/invite", s.handle(s.peopleInvite))
			r.Post("/people/{id}/invite", s.handle(s.personInvite))
			r.Post("/people/{id}/erase", s.handle(s.personErase))

			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireRole(auth.RoleAdmin))
				r.Get("/", s.handle(s.adminHome))

				r.Get("/users", s.handle(s.usersList))
				r.Get("/users/new", s.handle(s.userNew))
				r.Post("/users", s.handle(s.userInvite))
				r.Get("/users/{id}", s.handle(s.userEdit))
				r.Post("/users/{id}", s.handle(s.userUpdate))
				r.Post("/users/{id}/resend", s.handle(s.userResendInvite))
				r.Post("/users/{id}/reset", s.handle(s.userSendReset))
				r.Post("/users/{id}/deactivate", s.handle(s.userDeactivate))
				r.Post("/users/{id}/reactivate", s.handle(s.userReactivate))

				r.Get("/units", s.handle(s.unitsList))
				r.Get("/units/new", s.handle(s.unitNew))
				r.Post("/units", s.handle(s.unitCreate))
				r.Get("/units/{id}", s.handle(s.unitEdit))
				r.Post("/units/{id}", s.handle(s.unitUpdate))
				r.Post("/units/{id}/archive", s.handle(s.unitArchive))
				r.Post("/units/{id}/restore", s.handle(s.unitRestore))

				r.Get("/purposes", s.handle(s.purposesList))
				r.Get("/purposes/new", s.handle(s.purposeNew))
				r.Post("/purposes", s.handle(s.purposeCreate))
				r.Get("/purposes/{id}", s.handle(s.purposeEdit))
				r.Post("/purposes/{id}", s.handle(s.purposeUpdate))
				r.Get("/purposes/{id}/versions", s.handle(s.purposeVersions))

				r.Get("/offboarding", s.handle(s.offboardingTypes))
				r.Get("/offboarding/new", s.handle(s.departureTypeNew))
				r.Post("/offboarding", s.handle(s.departureTypeCreate))
				r.Get("/offboarding/types/{key}", s.handle(s.checklistShow))
				r.Get("/offboarding/types/{key}/edit", s.handle(s.departureTypeEdit))
				r.Post("/offboarding/types/{key}", s.handle(s.departureTypeUpdate))
				r.Get("/offboarding/types/{key}/items/new", s.handle(s.checklistItemNew))
				r.Post("/offboarding/types/{key}/items", s.handle(s.checklistItemCreate))
				r.Get("/offboarding/items/{id}", s.handle(s.checklistItemEdit))
				r.Post("/offboarding/items/{id}", s.handle(s.checklistItemUpdate))
				r.Post("/offboarding/items/{id}/archive", s.handle(s.checklistItemArchive))
				r.Post("/offboarding/items/{id}/restore", s.handle(s.checklistItemRestore))
				r.Post("/offboarding/items/{id}/move", s.handle(s.checklistItemMove))

				r.Get("/retention", s.handle(s.retentionPage))
				r.Post("/retention", s.handle(s.retentionSave))

				r.Get("/audit", s.handle(s.auditList))

				r.Get("/outbox", s.handle(s.outboxList))
				r.Get("/outbox/{id}", s.handle(s.outboxShow))
				r.Get("/deliveries", s.handle(s.deliveriesList))
				r.Get("/deliveries/{id}", s.handle(s.deliveryShow))
				r.Post("/deliveries/{id}/retry", s.handle(s.deliveryRetry))
			})
		})
	})
	return r
}
