"""A person's phone: numbers normalised (`numbers`) and one-time passwords sent to them by SMS
(`otp`), for the shopper's web, the member's page, tills and kiosks confirming a spend, and USSD.
May import notifications, limits, accounts and database; nothing of the rooms above."""
