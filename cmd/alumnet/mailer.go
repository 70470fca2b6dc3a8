package main

import (
	"fmt"

	"alumnet/internal/config"
	"alumnet/internal/mail"
)

// newMailer picks SMTP when SMTP_URL is set, else the dev outbox.
func newMailer(cfg config.Config, d *database) (mail.Sender, error) {
	if cfg.SMTPURL != "" {
		m, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL: %w", err)
		}
		return m, nil
	}
	return mail.NewOutbox(d.Pool), nil
}
