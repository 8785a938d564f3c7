-- Booking: finding a person's coming appointments by the phone or e-mail
-- they booked with, at every site (FindActiveAppointments, for notify's
-- lost-access requests). Contacts are stored normalised (E.164, lower-case
-- e-mail), so an equality finds them; the indexes cover only the rows that
-- still hold a contact (erased and purged rows hold none).
CREATE INDEX persons_phone ON booking.persons (phone) WHERE phone IS NOT NULL;
CREATE INDEX persons_email ON booking.persons (email) WHERE email IS NOT NULL;
