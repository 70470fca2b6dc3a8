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
		r.Get("/", s.h(s.home))
		r.Get("/login", s.h(s.loginForm))
		r.Post("/login", s.h(s.login))
		r.Post("/logout", s.h(s.logout))
		r.Post("/lang", s.h(s.setLanguage))
		r.Get("/set-password/{token}", s.h(s.setPasswordForm))
		r.Post("/set-password/{token}", s.h(s.setPassword))
		r.Get("/account/email-revert/{token}", s.h(s.userEmailRevertForm))
		r.Post("/account/email-revert/{token}", s.h(s.userEmailRevert))
		r.Get("/forgot-password", s.h(s.forgotForm))
		r.Post("/forgot-password", s.h(s.forgot))
		r.Get("/u/{token}", s.h(s.unsubscribeForm))
		r.Post("/u/{token}", s.h(s.unsubscribe))

		// Alumni: registration, invitations and the portal, with the
		// portal's own session.
		r.Group(func(r chi.Router) {
			r.Use(s.portalSessions.LoadAndSave, s.loadAlumnus)
			r.Get("/register", s.h(s.registerForm))
			r.Post("/register", s.h(s.register))
			r.Get("/register/confirm/{token}", s.h(s.registerConfirmForm))
			r.Post("/register/confirm/{token}", s.h(s.registerConfirm))
			r.Get("/invite/{token}", s.h(s.invitationForm))
			r.Post("/invite/{token}", s.h(s.acceptInvitation))
			r.Get("/portal/login", s.h(s.portalLoginForm))
			r.Post("/portal/login", s.h(s.portalLoginRequest))
			r.Get("/portal/login/{token}", s.h(s.portalLinkForm))
			r.Post("/portal/login/{token}", s.h(s.portalLinkLogin))
			r.Get("/portal/email/{token}", s.h(s.portalEmailConfirmForm))
			r.Post("/portal/email/{token}", s.h(s.portalEmailConfirm))
			r.Get("/portal/email-revert/{token}", s.h(s.portalRevertForm))
			r.Post("/portal/email-revert/{token}", s.h(s.portalRevert))
			r.Get("/portal/still-correct/{token}", s.h(s.portalStillCorrectForm))
			r.Post("/portal/still-correct/{token}", s.h(s.portalStillCorrect))
			r.Post("/portal/logout", s.h(s.portalLogout))
			r.Group(func(r chi.Router) {
				r.Use(s.requireAlumnus)
				r.Get("/portal", s.h(s.portalHome))
				r.Post("/portal/confirm-details", s.h(s.portalConfirmDetails))
				r.Get("/portal/profile", s.h(s.portalProfileForm))
				r.Post("/portal/profile", s.h(s.portalProfileSave))
				r.Post("/portal/email", s.h(s.portalEmailChange))
				r.Get("/portal/permissions", s.h(s.portalPermissions))
				r.Post("/portal/permissions/{id}", s.h(s.portalPermission))
				r.Get("/portal/data", s.h(s.portalData))
				r.Get("/portal/data/export.json", s.h(s.portalExportJSON))
				r.Get("/portal/data/export.csv", s.h(s.portalExportCSV))
				r.Get("/portal/delete", s.h(s.portalDeleteForm))
				r.Post("/portal/delete", s.h(s.portalDelete))
			})
		})

		// Staff area.
		r.Route("/app", func(r chi.Router) {
			r.Use(s.requireUser)
			r.NotFound(notFound)
			r.MethodNotAllowed(methodNotAllowed)
			r.Get("/", s.h(s.appHome))
			r.Get("/account", s.h(s.account))
			r.Post("/account/password", s.h(s.accountPassword))

			r.Get("/people", s.h(s.peopleList))
			r.Get("/people/new", s.h(s.personNew))
			r.Post("/people", s.h(s.personCreate))
			r.Get("/people/{id}", s.h(s.personShow))
			r.Get("/people/{id}/edit", s.h(s.personEdit))
			r.Post("/people/{id}", s.h(s.personUpdate))
			r.Post("/people/{id}/affiliations", s.h(s.affiliationCreate))
			r.Post("/people/{id}/affiliations/{aid}/delete", s.h(s.affiliationDelete))
			r.Post("/people/{id}/consents", s.h(s.personConsentCreate))
			r.Get("/offboarding", s.h(s.offboardingList))
			r.Get("/offboarding/new", s.h(s.offboardingNew))
			r.Post("/offboarding", s.h(s.offboardingCreate))
			r.Get("/offboarding/{id:[0-9]+}", s.h(s.offboardingShow))
			r.Post("/offboarding/{id:[0-9]+}/items/{item}", s.h(s.offboardingItem))
			r.Post("/offboarding/{id:[0-9]+}/interview", s.h(s.offboardingInterview))
			r.Post("/offboarding/{id:[0-9]+}/invite", s.h(s.offboardingInvite))
			r.Post("/offboarding/{id:[0-9]+}/close", s.h(s.offboardingClose))
			r.Post("/offboarding/{id:[0-9]+}/cancel", s.h(s.offboardingCancel))
			r.Post("/offboarding/{id:[0-9]+}/reschedule", s.h(s.offboardingReschedule))
			r.Get("/offboarding/cohort", s.h(s.cohortNew))
			r.With(bodyLimit(cohortMaxBody)).Post("/offboarding/cohort/preview", s.h(s.cohortPreview))
			r.With(bodyLimit(cohortMaxBody)).Post("/offboarding/cohort/confirm", s.h(s.cohortConfirm))
			r.Get("/offboarding/cohort/summary", s.h(s.cohortSummary))

			r.Post("/people/invite", s.h(s.peopleInvite))
			r.Post("/people/{id}/invite", s.h(s.personInvite))
			r.Post("/people/{id}/erase", s.h(s.personErase))

			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireRole(auth.RoleAdmin))
				r.Get("/", s.h(s.adminHome))

				r.Get("/users", s.h(s.usersList))
				r.Get("/users/new", s.h(s.userNew))
				r.Post("/users", s.h(s.userInvite))
				r.Get("/users/{id}", s.h(s.userEdit))
				r.Post("/users/{id}", s.h(s.userUpdate))
				r.Post("/users/{id}/resend", s.h(s.userResendInvite))
				r.Post("/users/{id}/reset", s.h(s.userSendReset))
				r.Post("/users/{id}/deactivate", s.h(s.userDeactivate))
				r.Post("/users/{id}/reactivate", s.h(s.userReactivate))

				r.Get("/units", s.h(s.unitsList))
				r.Get("/units/new", s.h(s.unitNew))
				r.Post("/units", s.h(s.unitCreate))
				r.Get("/units/{id}", s.h(s.unitEdit))
				r.Post("/units/{id}", s.h(s.unitUpdate))
				r.Post("/units/{id}/archive", s.h(s.unitArchive))
				r.Post("/units/{id}/restore", s.h(s.unitRestore))

				r.Get("/purposes", s.h(s.purposesList))
				r.Get("/purposes/new", s.h(s.purposeNew))
				r.Post("/purposes", s.h(s.purposeCreate))
				r.Get("/purposes/{id}", s.h(s.purposeEdit))
				r.Post("/purposes/{id}", s.h(s.purposeUpdate))
				r.Get("/purposes/{id}/versions", s.h(s.purposeVersions))

				r.Get("/offboarding", s.h(s.offboardingTypes))
				r.Get("/offboarding/new", s.h(s.departureTypeNew))
				r.Post("/offboarding", s.h(s.departureTypeCreate))
				r.Get("/offboarding/types/{key}", s.h(s.checklistShow))
				r.Get("/offboarding/types/{key}/edit", s.h(s.departureTypeEdit))
				r.Post("/offboarding/types/{key}", s.h(s.departureTypeUpdate))
				r.Get("/offboarding/types/{key}/items/new", s.h(s.checklistItemNew))
				r.Post("/offboarding/types/{key}/items", s.h(s.checklistItemCreate))
				r.Get("/offboarding/items/{id}", s.h(s.checklistItemEdit))
				r.Post("/offboarding/items/{id}", s.h(s.checklistItemUpdate))
				r.Post("/offboarding/items/{id}/archive", s.h(s.checklistItemArchive))
				r.Post("/offboarding/items/{id}/restore", s.h(s.checklistItemRestore))
				r.Post("/offboarding/items/{id}/move", s.h(s.checklistItemMove))

				r.Get("/retention", s.h(s.retentionPage))
				r.Post("/retention", s.h(s.retentionSave))

				r.Get("/audit", s.h(s.auditList))

				r.Get("/outbox", s.h(s.outboxList))
				r.Get("/outbox/{id}", s.h(s.outboxShow))
				r.Get("/deliveries", s.h(s.deliveriesList))
				r.Get("/deliveries/{id}", s.h(s.deliveryShow))
				r.Post("/deliveries/{id}/retry", s.h(s.deliveryRetry))
			})
		})
	})
	return r
}
