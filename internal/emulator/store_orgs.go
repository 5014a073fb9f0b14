package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is a registered DBOS Cloud user.
type User struct {
	Sub        string
	Name       string
	Email      string
	GivenName  string
	FamilyName string
	Company    string
	OrgID      int64
	OrgName    string
	IsAdmin    bool
}

// Registration is what PUT /v1alpha1/user asks for.
type Registration struct {
	Sub, Name, Email, GivenName, FamilyName, Company string
	SecretHash                                       string // empty: personal organization
}

// UserBySub returns the registered user with this subject, or ErrUnregistered.
func (s *Store) UserBySub(ctx context.Context, sub string) (User, error) {
	var u User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = userBySub(ctx, tx, sub)
		return err
	})
	return u, err
}

func userBySub(ctx context.Context, tx *sql.Tx, sub string) (User, error) {
	var u User
	var admin string
	err := tx.QueryRowContext(ctx,
		`SELECT u.sub, u.name, u.email, u.given_name, u.family_name, u.company,
		        o.id, o.name, o.admin_sub
		 FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.sub = ?`, sub).
		Scan(&u.Sub, &u.Name, &u.Email, &u.GivenName, &u.FamilyName, &u.Company,
			&u.OrgID, &u.OrgName, &admin)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUnregistered
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	u.IsAdmin = admin == u.Sub
	return u, nil
}

func orgID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM orgs WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("organization %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read organization %s: %w", name, err)
	}
	return id, nil
}

func exists(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("check existence: %w", err)
	}
	return n > 0, nil
}

// nameFree fails with ErrTaken when an organization (org true) or a user already has
// name. The two are separate namespaces under one naming rule.
func nameFree(ctx context.Context, tx *sql.Tx, org bool, name string) error {
	q, what := `SELECT count(*) FROM users WHERE name = ?`, "user name"
	if org {
		q, what = `SELECT count(*) FROM orgs WHERE name = ?`, "organization name"
	}
	taken, err := exists(ctx, tx, q, name)
	if err != nil {
		return err
	}
	if taken {
		return fmt.Errorf("%s %s: %w", what, name, ErrTaken)
	}
	return nil
}

// Register creates the user, in a new personal organization or, with a secret, in
// the inviting one (consuming the secret).
func (s *Store) Register(ctx context.Context, r Registration, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if taken, err := exists(ctx, tx, `SELECT count(*) FROM users WHERE sub = ?`, r.Sub); err != nil {
			return err
		} else if taken {
			return fmt.Errorf("user already registered: %w", ErrConflict)
		}
		if err := nameFree(ctx, tx, false, r.Name); err != nil {
			return err
		}

		org, err := registrationOrg(ctx, tx, r, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO users(sub, name, email, given_name, family_name, company, org_id, joined)
			 VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Sub, r.Name, r.Email, r.GivenName, r.FamilyName, r.Company, org, millis(now))
		if err != nil {
			return fmt.Errorf("store user: %w", err)
		}
		return nil
	})
}

func registrationOrg(ctx context.Context, tx *sql.Tx, r Registration,
	now time.Time) (int64, error) {
	if r.SecretHash != "" {
		return useInvite(ctx, tx, 0, r.SecretHash, now)
	}
	if err := nameFree(ctx, tx, true, r.Name); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO orgs(name, admin_sub) VALUES(?, ?)`, r.Name, r.Sub)
	if err != nil {
		return 0, fmt.Errorf("create organization: %w", err)
	}
	return res.LastInsertId()
}

// useInvite consumes an unused, unexpired secret and returns its organization. When
// org is not zero the secret must belong to that organization.
func useInvite(ctx context.Context, tx *sql.Tx, org int64, hash string,
	now time.Time) (int64, error) {
	var id, exp int64
	var used int
	err := tx.QueryRowContext(ctx,
		`SELECT org_id, expires_at, used FROM invites WHERE secret_hash = ?`, hash).
		Scan(&id, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrBadSecret
	}
	if err != nil {
		return 0, fmt.Errorf("read invite secret: %w", err)
	}
	if used != 0 || !now.Before(fromMillis(exp)) || (org != 0 && id != org) {
		return 0, ErrBadSecret
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE invites SET used = 1 WHERE secret_hash = ?`, hash); err != nil {
		return 0, fmt.Errorf("consume invite secret: %w", err)
	}
	return id, nil
}

// member loads the caller and the named organization, and checks that the caller
// belongs to it (and is its admin when admin is true).
func member(ctx context.Context, tx *sql.Tx, sub, org string, admin bool) (User, int64, error) {
	id, err := orgID(ctx, tx, org)
	if err != nil {
		return User{}, 0, err
	}
	u, err := userBySub(ctx, tx, sub)
	if err != nil {
		return User{}, 0, err
	}
	if u.OrgID != id {
		return User{}, 0, fmt.Errorf("%s is not a member of %s: %w", u.Name, org, ErrForbidden)
	}
	if admin && !u.IsAdmin {
		return User{}, 0, fmt.Errorf("%s is not the admin of %s: %w", u.Name, org, ErrForbidden)
	}
	return u, id, nil
}

// CreateInvite stores the hash of a new invite secret of org, issued by its admin.
func (s *Store) CreateInvite(ctx context.Context, sub, org, hash string, expires time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, id, err := member(ctx, tx, sub, org, true)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO invites(secret_hash, org_id, expires_at) VALUES(?, ?, ?)`,
			hash, id, millis(expires))
		if err != nil {
			return fmt.Errorf("store invite secret: %w", err)
		}
		return nil
	})
}

// Members lists the user names of org, for one of its members, sorted by name.
func (s *Store) Members(ctx context.Context, sub, org string) ([]string, error) {
	names := []string{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, id, err := member(ctx, tx, sub, org, false)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM users WHERE org_id = ? ORDER BY name`, id)
		if err != nil {
			return fmt.Errorf("list members: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return fmt.Errorf("list members: %w", err)
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	return names, err
}

// RenameOrg renames org to newName, for its admin.
func (s *Store) RenameOrg(ctx context.Context, sub, org, newName string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, id, err := member(ctx, tx, sub, org, true)
		if err != nil {
			return err
		}
		if newName == org {
			return nil
		}
		if err := nameFree(ctx, tx, true, newName); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE orgs SET name = ? WHERE id = ?`, newName, id)
		if err != nil {
			return fmt.Errorf("rename organization: %w", err)
		}
		return nil
	})
}

// Join moves a registered user into org with one of its invite secrets. The user's
// old organization is deleted when this leaves it empty; an admin whose organization
// still has other members cannot leave it.
func (s *Store) Join(ctx context.Context, sub, org, hash string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		id, err := orgID(ctx, tx, org)
		if err != nil {
			return err
		}
		u, err := userBySub(ctx, tx, sub)
		if err != nil {
			return err
		}
		if u.OrgID == id {
			return fmt.Errorf("%s is already a member of %s: %w", u.Name, org, ErrConflict)
		}
		if err := checkLeave(ctx, tx, u); err != nil {
			return err
		}
		if _, err := useInvite(ctx, tx, id, hash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET org_id = ?, joined = ? WHERE sub = ?`,
			id, millis(now), sub); err != nil {
			return fmt.Errorf("move user: %w", err)
		}
		return dropIfEmpty(ctx, tx, u.OrgID)
	})
}

func checkLeave(ctx context.Context, tx *sql.Tx, u User) error {
	if !u.IsAdmin {
		return nil
	}
	others, err := exists(ctx, tx,
		`SELECT count(*) FROM users WHERE org_id = ? AND sub != ?`, u.OrgID, u.Sub)
	if err != nil {
		return err
	}
	if others {
		return fmt.Errorf("the admin of %s must remove its other members before leaving it: %w",
			u.OrgName, ErrConflict)
	}
	return nil
}

func dropIfEmpty(ctx context.Context, tx *sql.Tx, org int64) error {
	empty, err := exists(ctx, tx, `SELECT count(*) = 0 FROM users WHERE org_id = ?`, org)
	if err != nil || !empty {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE org_id = ?`, org); err != nil {
		return fmt.Errorf("delete invites of empty organization: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM orgs WHERE id = ?`, org); err != nil {
		return fmt.Errorf("delete empty organization: %w", err)
	}
	return nil
}

// RemoveUser deletes the user named username from org, for its admin.
func (s *Store) RemoveUser(ctx context.Context, sub, org, username string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		admin, id, err := member(ctx, tx, sub, org, true)
		if err != nil {
			return err
		}
		if username == admin.Name {
			return fmt.Errorf("the admin cannot remove themselves: %w", ErrBadInput)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE name = ? AND org_id = ?`, username, id)
		if err != nil {
			return fmt.Errorf("remove user: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("remove user: %w", err)
		} else if n == 0 {
			return fmt.Errorf("user %s in organization %s: %w", username, org, ErrNotFound)
		}
		return nil
	})
}
